#!/usr/bin/env python3
"""Seed corpora for the fuzz targets of tests/fuzz, made from the repository and the build
(nothing is downloaded; nothing large is committed):

  OUT/fuzz_model/     the demo and variant models (tests/models) and the models of the ONNX
                      backend node tests (--node-tests, the pinned onnx package's data/node)
  OUT/fuzz_artifact/  compiled artifacts (`kiln compile` of a few small models, with --kiln) and the
                      given ones (--artifact, e.g. the runtime tests' fake artifacts): each
                      whole, truncated at a few points and with tampered ELF header fields;
                      and each one's descriptor in the fuzzer's encoding (--descriptor-tool)

Each OUT/<target> folder is replaced. Usage:
  make_seeds.py --out DIR [--only fuzz_model|fuzz_artifact] [--node-tests DIR] [--kiln KILN]
                [--descriptor-tool TOOL] [--artifact FILE]...
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Small compiled models (15-80 KB artifacts): a folded Conv+BN, a BN feeding two consumers,
# training-mode BN, and symbolic dims (a descriptor with a symbol table).
COMPILED_MODELS = ["tests/models/variants/bn_on_input.onnx", "tests/models/variants/bn_two_consumers.onnx",
                   "tests/models/variants/conv_bias_bn.train.onnx",
                   "tests/models/variants/conv1d_bn1d_dynamic_reshape.onnx"]


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def model_seeds(out, node_tests):
    n = 0
    for folder in ("tests/models/demos", "tests/models/variants"):
        for name in sorted(os.listdir(os.path.join(ROOT, folder))):
            if name.endswith(".onnx"):
                shutil.copyfile(os.path.join(ROOT, folder, name), os.path.join(out, name))
                n += 1
    if node_tests:
        for test in sorted(os.listdir(node_tests)):
            model = os.path.join(node_tests, test, "model.onnx")
            if os.path.isfile(model):
                shutil.copyfile(model, os.path.join(out, test + ".onnx"))
                n += 1
    return n


def elf_variants(image):
    """(suffix, bytes) pairs: truncations and header tamperings of a 64-bit ELF image."""
    out = []
    if len(image) < 64 or image[:4] != b"\x7fELF":
        return out
    phoff, shoff = struct.unpack_from("<QQ", image, 32)
    phnum, shentsize, shnum = struct.unpack_from("<HHH", image, 56)
    for cut in sorted({16, 64, phoff + 56 * phnum - 1, len(image) // 2, len(image) - 1}):
        if 0 < cut < len(image):
            out.append(("cut%d" % cut, image[:cut]))

    def patched(offset, fmt, value):
        b = bytearray(image)
        struct.pack_into(fmt, b, offset, value)
        return bytes(b)

    out += [("phoff-past-end", patched(32, "<Q", len(image) - 8)),
            ("phoff-wraps", patched(32, "<Q", 2**64 - 16)),
            ("shoff-past-end", patched(40, "<Q", len(image))),
            ("shoff-wraps", patched(40, "<Q", 2**64 - 64)),
            ("phnum-max", patched(56, "<H", 0xFFFF)),
            ("shnum-max", patched(60, "<H", 0xFFFF)),
            ("phentsize", patched(54, "<H", 32)),
            ("exec", patched(16, "<H", 2)),
            ("class32", patched(4, "<B", 1)),
            ("machine", patched(18, "<H", 183))]
    for i in range(phnum):  # the first PT_LOAD segment: past the end, and wrapping
        at = phoff + 56 * i
        if at + 56 <= len(image) and struct.unpack_from("<I", image, at)[0] == 1:
            out.append(("load-filesz", patched(at + 32, "<Q", 2**40)))
            out.append(("load-offset-wraps", patched(at + 8, "<Q", 2**64 - 4096)))
            break
    return out


def artifact_seeds(out, kiln, descriptor_tool, artifacts):
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        libs = list(artifacts)
        for model in COMPILED_MODELS if kiln else []:
            lib = os.path.join(tmp, os.path.basename(model).replace(".onnx", "") + ".so")
            subprocess.run([kiln, "compile", os.path.join(ROOT, model), "-o", lib], check=True,
                           stdout=subprocess.DEVNULL)
            libs.append(lib)
        for lib in libs:
            stem = os.path.basename(lib).rsplit(".so", 1)[0]
            with open(lib, "rb") as f:
                image = f.read()
            for suffix, data in [("elf", image)] + elf_variants(image):
                with open(os.path.join(out, "%s.%s" % (stem, suffix)), "wb") as f:
                    f.write(data)
                n += 1
            if descriptor_tool:
                # An artifact without a descriptor (no entry point) has none to write.
                r = subprocess.run([descriptor_tool, lib, os.path.join(out, stem + ".descriptor")],
                                   stderr=subprocess.PIPE, text=True)
                if r.returncode == 0:
                    n += 1
                elif "has no descriptor" not in r.stderr:
                    sys.exit("make_seeds: %s failed on %s: %s" % (descriptor_tool, lib, r.stderr))
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True)
    p.add_argument("--only", choices=["fuzz_model", "fuzz_artifact"])
    p.add_argument("--node-tests")
    p.add_argument("--kiln")
    p.add_argument("--descriptor-tool")
    p.add_argument("--artifact", action="append", default=[])
    a = p.parse_args()
    if a.only != "fuzz_artifact":
        n = model_seeds(fresh(os.path.join(a.out, "fuzz_model")), a.node_tests)
        print("make_seeds: %d fuzz_model seeds" % n)
    if a.only != "fuzz_model":
        n = artifact_seeds(fresh(os.path.join(a.out, "fuzz_artifact")), a.kiln, a.descriptor_tool, a.artifact)
        print("make_seeds: %d fuzz_artifact seeds" % n)


if __name__ == "__main__":
    main()
