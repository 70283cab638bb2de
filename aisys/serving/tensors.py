"""The Open Inference Protocol's (KServe v2) tensors: JSON and binary-extension requests to NumPy arrays and back."""

import json
import math

import numpy as np

DATATYPES = {"BOOL": np.bool_, "UINT8": np.uint8, "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64,
             "INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64,
             "FP16": np.float16, "FP32": np.float32, "FP64": np.float64}
HEADER_LENGTH = "Inference-Header-Content-Length"  # the binary tensor extension: JSON header, then raw tensor bytes


class InferError(Exception):
    """A request the server refuses: an HTTP status and a message naming the problem."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def datatype_of(array):
    """The protocol's datatype name of a NumPy array."""
    for name, dtype in DATATYPES.items():
        if array.dtype == dtype:
            return name
    raise InferError(500, f"no protocol datatype for {array.dtype}")


def parse_request(body, header_length=None):
    """The request's JSON object and raw binary section, refusing what is not a JSON object."""
    if header_length is not None:
        try:
            n = int(header_length)
        except ValueError:
            raise InferError(400, f"{HEADER_LENGTH} must be an integer, got {header_length!r}") from None
        if not 0 <= n <= len(body):
            raise InferError(400, f"{HEADER_LENGTH} {n} is outside the body of {len(body)} bytes")
        body, binary = body[:n], body[n:]
    else:
        binary = b""
    try:
        request = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InferError(400, f"malformed JSON in the request body: {e}") from None
    if not isinstance(request, dict):
        raise InferError(400, "the request body must be a JSON object with 'inputs'")
    return request, binary


def _shape(spec, name):
    """A tensor's shape from its JSON, refusing anything but a list of non-negative integers."""
    shape = spec.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise InferError(400, f"input '{name}': 'shape' must be a list of non-negative integers, got {shape!r}")
    return shape


def decode_inputs(request, binary, expected):
    """{name: array} from a request, checked against the model's inputs {name: (datatype, shape with -1)}."""
    inputs = request.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise InferError(400, "the request needs a non-empty list 'inputs'")
    arrays, offset = {}, 0
    for spec in inputs:
        if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
            raise InferError(400, "each input must be an object with a 'name'")
        name = spec["name"]
        if name not in expected:
            raise InferError(400, f"unknown input '{name}': the model takes {sorted(expected)}")
        datatype, model_shape = expected[name]
        if spec.get("datatype") != datatype:
            raise InferError(400, f"input '{name}': datatype {spec.get('datatype')!r}, the model takes {datatype}")
        shape = _shape(spec, name)
        if len(shape) != len(model_shape) or any(m not in (-1, d) for m, d in zip(model_shape, shape)):
            raise InferError(400, f"input '{name}': shape {shape}, the model takes {model_shape} (-1: any size)")
        dtype, count = np.dtype(DATATYPES[datatype]), math.prod(shape)
        size = (spec.get("parameters") or {}).get("binary_data_size")
        if size is not None:
            if size != count * dtype.itemsize or offset + size > len(binary):
                raise InferError(400, f"input '{name}': binary_data_size {size} does not match shape {shape} "
                                      f"of {datatype} or the {len(binary) - offset} bytes left")
            array = np.frombuffer(binary, dtype, count, offset).reshape(shape)
            offset += size
        else:
            try:
                array = np.asarray(spec.get("data"), dtype=dtype)
            except (TypeError, ValueError, OverflowError) as e:
                raise InferError(400, f"input '{name}': 'data' is not {datatype} numbers: {e}") from None
            if array.size != count:
                raise InferError(400, f"input '{name}': {array.size} values for shape {shape} ({count} expected)")
            array = array.reshape(shape)
        arrays[name] = array
    missing = set(expected) - set(arrays)
    if missing:
        raise InferError(400, f"missing input(s) {sorted(missing)}")
    return arrays


def encode_response(model, version, outputs, request):
    """The response body and its headers: JSON tensors, or the binary extension for outputs that ask for it."""
    asked = {o.get("name"): (o.get("parameters") or {}) for o in request.get("outputs") or [] if isinstance(o, dict)}
    unknown = set(asked) - set(outputs)
    if unknown:
        raise InferError(400, f"unknown output(s) {sorted(unknown)}: the model gives {sorted(outputs)}")
    names = list(asked) or list(outputs)
    binary_default = bool((request.get("parameters") or {}).get("binary_data_output", False))
    tensors, chunks = [], []
    for name in names:
        array = np.ascontiguousarray(outputs[name])
        tensor = {"name": name, "datatype": datatype_of(array), "shape": list(array.shape)}
        if asked.get(name, {}).get("binary_data", binary_default):
            chunks.append(array.tobytes())
            tensor["parameters"] = {"binary_data_size": len(chunks[-1])}
        else:
            tensor["data"] = array.ravel().tolist()
        tensors.append(tensor)
    body = {"model_name": model, "model_version": str(version), "outputs": tensors}
    if "id" in request:
        body["id"] = request["id"]
    header = json.dumps(body).encode()
    if not chunks:
        return header, {"Content-Type": "application/json"}
    return header + b"".join(chunks), {"Content-Type": "application/octet-stream", HEADER_LENGTH: str(len(header))}


def request_json(name, array, request_id=None):
    """A JSON infer request for one input tensor (what a client sends)."""
    body = {"inputs": [{"name": name, "shape": list(array.shape), "datatype": datatype_of(array),
                        "data": np.asarray(array).ravel().tolist()}]}
    if request_id is not None:
        body["id"] = request_id
    return body


def output_array(response, name=None):
    """The array of an output (the first one by default) from a JSON infer response."""
    for tensor in response["outputs"]:
        if name in (None, tensor["name"]):
            return np.asarray(tensor["data"], dtype=DATATYPES[tensor["datatype"]]).reshape(tensor["shape"])
    raise KeyError(f"no output {name!r} in the response")
