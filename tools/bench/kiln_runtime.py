"""ctypes binding of the kiln runtime C API (runtime/include/kiln/kiln.h), just enough to load
an artifact and call kiln_run on preallocated buffers."""
import ctypes

import numpy as np

KILN_MAX_RANK = 8
KILN_DTYPE_FLOAT32 = 1


class KilnTensor(ctypes.Structure):
    _fields_ = [("data", ctypes.c_void_p), ("bytes", ctypes.c_size_t), ("dtype", ctypes.c_int32),
                ("rank", ctypes.c_size_t), ("dims", ctypes.c_int64 * KILN_MAX_RANK),
                ("name", ctypes.c_char_p)]


class KilnRunOptions(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_size_t), ("num_threads", ctypes.c_int32)]


class Runtime:
    def __init__(self, lib_path):
        self.lib = ctypes.CDLL(lib_path)
        L = self.lib
        L.kiln_last_error.restype = ctypes.c_char_p
        L.kiln_version.restype = ctypes.c_char_p
        L.kiln_model_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
        L.kiln_model_free.argtypes = [ctypes.c_void_p]
        L.kiln_model_num_outputs.argtypes = [ctypes.c_void_p]
        L.kiln_model_num_outputs.restype = ctypes.c_size_t
        L.kiln_run_options_init.argtypes = [ctypes.POINTER(KilnRunOptions)]
        L.kiln_infer_outputs.argtypes = [ctypes.c_void_p, ctypes.POINTER(KilnTensor), ctypes.c_size_t,
                                         ctypes.POINTER(KilnTensor), ctypes.c_size_t]
        L.kiln_run.argtypes = [ctypes.c_void_p, ctypes.POINTER(KilnTensor), ctypes.c_size_t,
                               ctypes.POINTER(KilnTensor), ctypes.c_size_t,
                               ctypes.POINTER(KilnRunOptions)]

    def check(self, status, what):
        if status != 0:
            raise RuntimeError(f"{what}: {self.lib.kiln_last_error().decode()}")

    def load(self, path):
        return Model(self, path)


def _tensor(arr):
    t = KilnTensor()
    t.data = arr.ctypes.data
    t.bytes = arr.nbytes
    t.dtype = KILN_DTYPE_FLOAT32
    t.rank = arr.ndim
    for i, d in enumerate(arr.shape):
        t.dims[i] = d
    return t


class Model:
    """A loaded artifact bound to one float32 input array and preallocated outputs."""

    def __init__(self, rt, path):
        self.rt = rt
        self.handle = ctypes.c_void_p()
        rt.check(rt.lib.kiln_model_load(path.encode(), ctypes.byref(self.handle)), f"load {path}")
        self.n_out = rt.lib.kiln_model_num_outputs(self.handle)

    def bind(self, x, threads):
        """Preallocates outputs for input `x` (kept alive here) and fixes the thread count."""
        self.x = np.ascontiguousarray(x, dtype=np.float32)
        self.inputs = (KilnTensor * 1)(_tensor(self.x))
        self.outputs = (KilnTensor * self.n_out)()
        self.rt.check(self.rt.lib.kiln_infer_outputs(self.handle, self.inputs, 1, self.outputs, self.n_out),
                      "infer_outputs")
        self.out_arrays = []
        for i in range(self.n_out):
            o = self.outputs[i]
            arr = np.empty([o.dims[d] for d in range(o.rank)], dtype=np.float32)
            self.out_arrays.append(arr)
            self.outputs[i] = _tensor(arr)
        self.options = KilnRunOptions()
        self.rt.lib.kiln_run_options_init(ctypes.byref(self.options))
        self.options.num_threads = threads
        self._args = (self.handle, self.inputs, 1, self.outputs, self.n_out, ctypes.byref(self.options))

    def run(self):
        status = self.rt.lib.kiln_run(*self._args)
        if status != 0:
            self.rt.check(status, "kiln_run")
        return self.out_arrays[0]

    def __del__(self):
        if getattr(self, "handle", None):
            self.rt.lib.kiln_model_free(self.handle)
