"""Loads an exported folder with Hugging Face transformers and ONNX Runtime (Python) and prints, as
JSON, what the interop tests compare: input ids, logits from PyTorch and from onnx/model.onnx, and
the ONNX graph's declared inputs and outputs.
Usage: hf_check.py FOLDER ZIP < texts.json"""
import json
import os
import sys
import zipfile

import onnxruntime
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

folder, zip_path = sys.argv[1], sys.argv[2]
texts = json.load(sys.stdin)

with zipfile.ZipFile(zip_path) as archive:
    damaged = archive.testzip()
    entries = [(info.filename, info.date_time, info.compress_type) for info in archive.infolist()]

tokenizer = AutoTokenizer.from_pretrained(folder)
model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
encoded = tokenizer(texts, padding=True, truncation=True, return_tensors="pt")
with torch.no_grad():
    logits = model(input_ids=encoded["input_ids"], attention_mask=encoded["attention_mask"]).logits

onnx_path = folder + "/onnx/model.onnx"
session = None
if os.path.exists(onnx_path):
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    onnx_logits = session.run(
        ["logits"],
        {"input_ids": encoded["input_ids"].numpy(), "attention_mask": encoded["attention_mask"].numpy()},
    )[0]


def describe(values):
    return [{"name": v.name, "type": v.type, "shape": list(v.shape)} for v in values]


json.dump(
    {
        "zip_damaged_entry": damaged,
        "zip_entries": entries,
        "tokenizer_class": type(tokenizer).__name__,
        "model_max_length": tokenizer.model_max_length,
        "input_ids": encoded["input_ids"].tolist(),
        "attention_mask": encoded["attention_mask"].tolist(),
        "logits": logits.tolist(),
        "onnx_logits": onnx_logits.tolist() if session else None,
        "onnx_inputs": describe(session.get_inputs()) if session else None,
        "onnx_outputs": describe(session.get_outputs()) if session else None,
        "id2label": model.config.id2label,
        "problem_type": model.config.problem_type,
    },
    sys.stdout,
)
