// serve.py and its Dockerfile, shipped in every export: an HTTP endpoint over the transformers
// pipeline for teams that want one.
export const SERVE_PY = String.raw`#!/usr/bin/env python3
"""HTTP endpoint for this model: POST /predict {"texts": ["...", ...]} -> labels and probabilities.

    pip install fastapi uvicorn "transformers>=4.46" torch
    python serve.py                                   # http://127.0.0.1:8000 (this machine only)
    python serve.py --host 0.0.0.0 --port 8080        # reachable from other machines
    curl -s localhost:8000/predict -H 'content-type: application/json' -d '{"texts": ["hello"]}'

The answer is {"predictions": [{"label": ..., "probabilities": {label: p, ...}}, ...]}, one entry per
text in order; multi-label models add "labels", the labels whose probability reaches the decision
threshold in thresholds.json. Requests are capped in bytes, texts and characters per text.
"""
import argparse
import json
import os
from pathlib import Path

import uvicorn
from fastapi import FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from transformers import pipeline

HERE = Path(__file__).resolve().parent
MAX_BODY_BYTES = int(os.environ.get("SERVE_MAX_BODY_BYTES", 1_000_000))
MAX_TEXTS = int(os.environ.get("SERVE_MAX_TEXTS", 256))
MAX_TEXT_CHARS = int(os.environ.get("SERVE_MAX_TEXT_CHARS", 20_000))


def create_app(model_dir=HERE):
    model_dir = Path(model_dir)
    with open(model_dir / "config.json", encoding="utf-8") as f:
        config = json.load(f)
    labels = [config["id2label"][str(i)] for i in range(len(config["id2label"]))]
    multi_label = config.get("problem_type") == "multi_label_classification"
    thresholds = {label: 0.5 for label in labels}
    if multi_label and (model_dir / "thresholds.json").exists():
        with open(model_dir / "thresholds.json", encoding="utf-8") as f:
            thresholds.update(json.load(f).get("thresholds", {}))
    classifier = pipeline("text-classification", model=str(model_dir), tokenizer=str(model_dir), top_k=None)

    app = FastAPI(title="text classifier", description="Labels: " + ", ".join(labels))

    @app.get("/health")
    def health():
        return {"status": "ok", "labels": labels, "multi_label": multi_label}

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
        outputs = await run_in_threadpool(classifier, texts, truncation=True)
        predictions = []
        for scores in outputs:
            probabilities = {s["label"]: float(s["score"]) for s in scores}
            best = max(probabilities, key=probabilities.get)
            prediction = {"label": best, "probabilities": {label: probabilities[label] for label in labels}}
            if multi_label:
                prediction["labels"] = [l for l in labels if probabilities[l] >= float(thresholds[l])]
            predictions.append(prediction)
        return {"predictions": predictions}

    return app


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--model", default=str(HERE), help="model folder (default: the folder of this script)")
    options = parser.parse_args()
    uvicorn.run(create_app(options.model), host=options.host, port=options.port)


if __name__ == "__main__":
    main()
`;

export const DOCKERFILE = `# HTTP endpoint for this model (see serve.py).
#   docker build -t text-classifier .
#   docker run --rm -p 127.0.0.1:8000:8000 text-classifier
FROM python:3.12-slim
ENV PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 HF_HOME=/tmp/hf PYTHONUNBUFFERED=1
RUN pip install --extra-index-url https://download.pytorch.org/whl/cpu torch \\
    && pip install "transformers>=4.46" fastapi uvicorn
WORKDIR /model
COPY . /model
USER nobody
EXPOSE 8000
# Inside the container the server must listen on all interfaces; publish the port on 127.0.0.1
# (as above) to keep it reachable from this machine only.
CMD ["python", "serve.py", "--host", "0.0.0.0", "--port", "8000"]
`;
