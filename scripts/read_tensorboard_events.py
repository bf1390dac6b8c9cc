"""Reads a TensorBoard log directory with TensorBoard's own event reader
and prints what it found as JSON (the keras.cpp tests compare it with what
they wrote):

    python scripts/read_tensorboard_events.py LOGDIR

{"scalars": {tag: [[step, value], ...]},
 "histograms": {tag: [{"step", "min", "max", "num", "sum", "sum_squares",
                       "bucket_limit", "bucket"}]},
 "images": {tag: [{"step", "width", "height", "mode", "pixels"}]},
 "texts": {tag: [[step, text], ...]},
 "graph": [{"name", "op", "input", "attr": {key: text}}]   (empty without a graph)}

Needs the PyPI packages tensorboard and pillow (for decoding the PNGs).
"""
import io
import json
import sys

from PIL import Image
from tensorboard.backend.event_processing import event_accumulator as ea


def main(logdir):
    acc = ea.EventAccumulator(logdir, size_guidance={
        ea.SCALARS: 0, ea.HISTOGRAMS: 0, ea.IMAGES: 0, ea.TENSORS: 0})
    acc.Reload()
    tags = acc.Tags()
    out = {"scalars": {}, "histograms": {}, "images": {}, "texts": {}}
    for tag in tags["scalars"]:
        out["scalars"][tag] = [[e.step, e.value] for e in acc.Scalars(tag)]
    for tag in tags["histograms"]:
        out["histograms"][tag] = [{
            "step": e.step, "min": e.histogram_value.min, "max": e.histogram_value.max,
            "num": e.histogram_value.num, "sum": e.histogram_value.sum,
            "sum_squares": e.histogram_value.sum_squares,
            "bucket_limit": list(e.histogram_value.bucket_limit),
            "bucket": list(e.histogram_value.bucket)} for e in acc.Histograms(tag)]
    for tag in tags["images"]:
        rows = []
        for e in acc.Images(tag):
            img = Image.open(io.BytesIO(e.encoded_image_string))
            img.load()
            rows.append({"step": e.step, "width": e.width, "height": e.height, "mode": img.mode,
                         "format": img.format, "pixels": list(img.tobytes())})
        out["images"][tag] = rows
    for tag in tags["tensors"]:
        rows = []
        for e in acc.Tensors(tag):
            rows.append([e.step, [s.decode("utf-8") for s in e.tensor_proto.string_val]])
        out["texts"][tag] = rows
    out["graph"] = []
    if tags.get("graph"):
        for n in acc.Graph().node:
            attr = {k: (v.s.decode("utf-8") if v.HasField("s") else
                        [[d.size for d in sh.dim] for sh in v.list.shape]) for k, v in n.attr.items()}
            out["graph"].append({"name": n.name, "op": n.op, "input": list(n.input), "attr": attr})
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
