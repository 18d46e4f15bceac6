// serve.py and its Dockerfile, shipped in every export: an HTTP endpoint over the model (PyTorch,
// or ONNX Runtime on onnx/model.onnx) with dynamic batching, for teams that want one.
export const SERVE_PY = String.raw`#!/usr/bin/env python3
"""HTTP endpoint for this model: POST /predict {"texts": ["...", ...]} -> labels and probabilities.

    pip install fastapi uvicorn "transformers>=4.46" torch    # add onnxruntime for --onnx
    python serve.py                                   # http://127.0.0.1:8000 (this machine only)
    python serve.py --onnx                            # ONNX Runtime on onnx/model.onnx instead of PyTorch
    python serve.py --host 0.0.0.0 --port 8080        # reachable from other machines
    curl -s localhost:8000/predict -H 'content-type: application/json' -d '{"texts": ["hello"]}'

The answer is {"predictions": [{"label": ..., "probabilities": {label: p, ...}}, ...]}, one entry per
text in order; multi-label models add "labels", the labels whose probability reaches the decision
threshold in thresholds.json. Requests are capped in bytes, texts and characters per text (413).

Dynamic batching: texts of concurrent requests are run through the model together, up to
--max-batch texts, waiting at most --max-wait-ms after the first one for others to join. GET /health
answers as soon as the process serves (liveness); GET /ready answers 200 once the model is loaded
and has run once, 503 before (readiness); GET /stats counts batches and the texts per batch.
"""
import argparse
import asyncio
import json
import os
import threading
from contextlib import asynccontextmanager
from pathlib import Path

import numpy as np
import uvicorn
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from transformers import AutoTokenizer

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = int(os.environ.get("SERVE_MAX_BODY_BYTES", 1_000_000))
MAX_TEXTS = int(os.environ.get("SERVE_MAX_TEXTS", 256))
MAX_TEXT_CHARS = int(os.environ.get("SERVE_MAX_TEXT_CHARS", 20_000))


class TorchBackend:
    name = "pytorch"

    def __init__(self, model_dir):
        import torch
        from transformers import AutoModelForSequenceClassification

        self.torch = torch
        self.model = AutoModelForSequenceClassification.from_pretrained(str(model_dir)).eval()

    def logits(self, encoded):
        with self.torch.inference_mode():
            inputs = {k: self.torch.from_numpy(v) for k, v in encoded.items()}
            return self.model(**inputs).logits.float().numpy()


class OnnxBackend:
    name = "onnxruntime"

    def __init__(self, model_dir):
        import onnxruntime

        path = Path(model_dir) / "onnx" / "model.onnx"
        if not path.exists():
            raise SystemExit("serve.py: --onnx needs %s" % path)
        self.session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def logits(self, encoded):
        return self.session.run(["logits"], {k: v for k, v in encoded.items() if k in self.inputs})[0]


class Classifier:
    """The model, its tokenizer and labels; classify() turns texts into the answer's predictions."""

    def __init__(self, model_dir, onnx):
        model_dir = Path(model_dir)
        with open(model_dir / "config.json", encoding="utf-8") as f:
            config = json.load(f)
        self.labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
        self.multi_label = config.get("problem_type") == "multi_label_classification"
        self.thresholds = np.full(len(self.labels), 0.5)
        if self.multi_label and (model_dir / "thresholds.json").exists():
            with open(model_dir / "thresholds.json", encoding="utf-8") as f:
                by_label = json.load(f).get("thresholds", {})
            self.thresholds = np.array([float(by_label.get(label, 0.5)) for label in self.labels])
        self.tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        self.backend = OnnxBackend(model_dir) if onnx else TorchBackend(model_dir)

    def classify(self, texts):
        encoded = self.tokenizer(texts, truncation=True, padding=True, return_tensors="np")
        encoded = {k: v.astype(np.int64) for k, v in encoded.items() if k in ("input_ids", "attention_mask")}
        logits = self.backend.logits(encoded).astype(np.float64)
        if self.multi_label:
            probabilities = 1.0 / (1.0 + np.exp(-logits))
        else:
            shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
            probabilities = shifted / shifted.sum(axis=-1, keepdims=True)
        predictions = []
        for row in probabilities:
            prediction = {
                "label": self.labels[int(row.argmax())],
                "probabilities": {label: float(p) for label, p in zip(self.labels, row)},
            }
            if self.multi_label:
                prediction["labels"] = [l for l, p, t in zip(self.labels, row, self.thresholds) if p >= t]
            predictions.append(prediction)
        return predictions


class Batcher:
    """Collects the texts of concurrent requests into batches run one at a time in a worker thread."""

    def __init__(self, classifier, max_batch, max_wait_ms):
        self.classifier = classifier
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self.queue = None
        self.stats = {"batches": 0, "texts": 0, "requests": 0, "largest_batch_texts": 0,
                      "largest_batch_requests": 0, "texts_per_batch": {}}

    async def run(self):
        self.queue = asyncio.Queue()
        loop = asyncio.get_running_loop()
        carried = None  # a request that would have overfilled the last batch opens the next
        while True:
            pending = [carried if carried is not None else await self.queue.get()]
            carried = None
            count = len(pending[0][0])
            deadline = loop.time() + self.max_wait
            while count < self.max_batch:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    break
                try:
                    item = await asyncio.wait_for(self.queue.get(), timeout)
                except asyncio.TimeoutError:
                    break
                if count + len(item[0]) > self.max_batch:
                    carried = item
                    break
                pending.append(item)
                count += len(item[0])
            texts = [text for item_texts, _ in pending for text in item_texts]
            try:
                predictions = await loop.run_in_executor(None, self.classifier.classify, texts)
            except Exception as error:  # every waiting request learns of the failure
                for _, future in pending:
                    if not future.done():
                        future.set_exception(error)
                continue
            self.count(len(texts), len(pending))
            start = 0
            for item_texts, future in pending:
                if not future.done():
                    future.set_result(predictions[start: start + len(item_texts)])
                start += len(item_texts)

    def count(self, texts, requests):
        stats = self.stats
        stats["batches"] += 1
        stats["texts"] += texts
        stats["requests"] += requests
        stats["largest_batch_texts"] = max(stats["largest_batch_texts"], texts)
        stats["largest_batch_requests"] = max(stats["largest_batch_requests"], requests)
        key = str(texts)
        stats["texts_per_batch"][key] = stats["texts_per_batch"].get(key, 0) + 1

    async def classify(self, texts):
        future = asyncio.get_running_loop().create_future()
        await self.queue.put((texts, future))
        return await future


def create_app(model_dir=HERE, onnx=False, max_batch=32, max_wait_ms=5.0):
    state = {"classifier": None, "batcher": None, "error": None}

    def load():
        try:
            classifier = Classifier(model_dir, onnx)
            classifier.classify(["warm-up"])
            state["classifier"] = classifier
        except BaseException as error:  # SystemExit too: the server stays up and /ready says why
            state["error"] = "%s: %s" % (type(error).__name__, error)

    async def batch_once_loaded():
        while state["classifier"] is None and state["error"] is None:
            await asyncio.sleep(0.05)
        if state["classifier"] is not None:
            batcher = Batcher(state["classifier"], max_batch, max_wait_ms)
            state["batcher"] = batcher
            await batcher.run()

    @asynccontextmanager
    async def lifespan(_app):
        # The model loads beside the server so that /health answers at once and /ready tells when.
        threading.Thread(target=load, daemon=True).start()
        batching = asyncio.create_task(batch_once_loaded())
        yield
        batching.cancel()

    app = FastAPI(title="text classifier", lifespan=lifespan)

    @app.get("/health")
    def health():
        return {"status": "ok"}

    @app.get("/ready")
    def ready():
        classifier = state["classifier"]
        if state["batcher"] is None or state["batcher"].queue is None or classifier is None:
            return JSONResponse({"ready": False, "error": state["error"]}, status_code=503)
        return {"ready": True, "labels": classifier.labels, "multi_label": classifier.multi_label,
                "backend": classifier.backend.name}

    @app.get("/stats")
    def stats():
        batcher = state["batcher"]
        return dict(batcher.stats if batcher else {}, max_batch=max_batch, max_wait_ms=max_wait_ms)

    @app.post("/predict")
    async def predict(request: Request):
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
            raise HTTPException(413, "request body is larger than %d bytes" % MAX_BODY_BYTES)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > MAX_BODY_BYTES:
                raise HTTPException(413, "request body is larger than %d bytes" % MAX_BODY_BYTES)
        try:
            payload = json.loads(body)
        except ValueError:
            raise HTTPException(400, 'body must be JSON: {"texts": ["..."]}')
        texts = payload.get("texts") if isinstance(payload, dict) else None
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise HTTPException(422, '"texts" must be a list of strings')
        if len(texts) > MAX_TEXTS:
            raise HTTPException(413, "at most %d texts per request" % MAX_TEXTS)
        if any(len(t) > MAX_TEXT_CHARS for t in texts):
            raise HTTPException(413, "each text may hold at most %d characters" % MAX_TEXT_CHARS)
        if not texts:
            return {"predictions": []}
        batcher = state["batcher"]
        if batcher is None or batcher.queue is None:
            raise HTTPException(503, "the model is still loading" if state["error"] is None else state["error"])
        return {"predictions": await batcher.classify(texts)}

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", default=str(HERE), help="model folder (default: the folder of this script)")
    parser.add_argument("--onnx", action="store_true", help="run onnx/model.onnx with ONNX Runtime instead of PyTorch")
    parser.add_argument("--max-batch", type=int, default=32, help="most texts run through the model at once")
    parser.add_argument("--max-wait-ms", type=float, default=5.0, help="how long a batch waits for more texts")
    options = parser.parse_args()
    if options.max_batch < 1 or options.max_wait_ms < 0:
        parser.error("--max-batch must be at least 1 and --max-wait-ms at least 0")
    if options.onnx and not (Path(options.model) / "onnx" / "model.onnx").exists():
        raise SystemExit("serve.py: --onnx needs onnx/model.onnx, which this model folder does not have; serve it with PyTorch (without --onnx)")
    app = create_app(options.model, options.onnx, options.max_batch, options.max_wait_ms)
    uvicorn.run(app, host=options.host, port=options.port)


if __name__ == "__main__":
    main()
`;

export const DOCKERFILE = `# HTTP endpoint for this model (see serve.py; k8s/ runs it on Kubernetes).
#   docker build -t text-classifier .
#   docker run --rm -p 127.0.0.1:8000:8000 text-classifier
#   docker run --rm -p 127.0.0.1:8000:8000 text-classifier python serve.py --host 0.0.0.0 --onnx
FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 HF_HOME=/tmp/hf PYTHONUNBUFFERED=1
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu torch \\
    && pip install "transformers>=4.46" fastapi uvicorn onnxruntime
WORKDIR /model
COPY . /model
# A numeric non-root user, so that Kubernetes' runAsNonRoot can check it.
USER 65534:65534
EXPOSE 8000
# Inside the container the server must listen on all interfaces; publish the port on 127.0.0.1
# (as above) to keep it reachable from this machine only.
CMD ["python", "serve.py", "--host", "0.0.0.0", "--port", "8000"]
`;
