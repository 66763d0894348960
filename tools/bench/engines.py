"""The engines the benchmark compares. Each binds one input array and a thread count, then
`run()` executes one inference on preallocated buffers and returns the first output."""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "export"))


class KilnEngine:
    def __init__(self, runtime, so_path):
        self.model = runtime.load(so_path)

    def bind(self, x, threads):
        self.model.bind(x, threads)

    def run(self):
        return self.model.run()


class OrtEngine:
    def __init__(self, onnx_path):
        self.path = onnx_path
        self.sessions = {}

    def _session(self, threads):
        import onnxruntime as ort
        if threads not in self.sessions:
            so = ort.SessionOptions()
            so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
            so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            # Idle intra-op threads block instead of spinning into the next engine's timing
            # (kiln's runtime pool blocks too).
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
            self.sessions[threads] = ort.InferenceSession(self.path, so, providers=["CPUExecutionProvider"])
        return self.sessions[threads]

    def bind(self, x, threads):
        import onnxruntime as ort
        sess = self._session(threads)
        self.x = np.ascontiguousarray(x, dtype=np.float32)
        self.xv = ort.OrtValue.ortvalue_from_numpy(self.x)
        first = sess.run(None, {sess.get_inputs()[0].name: self.x})
        self.outs = [ort.OrtValue.ortvalue_from_numpy(np.empty_like(o)) for o in first]
        self.io = sess.io_binding()
        self.io.bind_ortvalue_input(sess.get_inputs()[0].name, self.xv)
        for o, v in zip(sess.get_outputs(), self.outs):
            self.io.bind_ortvalue_output(o.name, v)
        self.sess = sess

    def run(self):
        self.sess.run_with_iobinding(self.io)
        return self.outs[0].numpy()


class TorchEngine:
    """PyTorch eager: the demo model rebuilt from tools/export/demo_models.py with the trained
    weights of tests/models/demos/<name>.weights.npz, in eval mode under no_grad."""

    def __init__(self, name, weights_path):
        import torch
        from demo_models import DEMOS
        from export_common import load_state_arrays
        self.torch = torch
        self.model = DEMOS[name][0]()
        w = np.load(weights_path)
        load_state_arrays(self.model, {k: w[k] for k in w.files})
        self.model.eval()

    def bind(self, x, threads):
        self.torch.set_num_threads(threads)
        self.x = self.torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))

    def run(self):
        with self.torch.no_grad():
            return self.model(self.x).numpy()
