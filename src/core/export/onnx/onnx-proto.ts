// ONNX messages (onnx/onnx.proto3, IR version 8) as plain objects, and their protobuf encoding.
// Only the fields a feed-forward inference graph needs are modelled.
import { ProtoWriter } from './protobuf.ts';

/** TensorProto.DataType values. */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
} as const;
export type DataTypeId = (typeof DataType)[keyof typeof DataType];

export interface TensorProto {
  name: string;
  dataType: DataTypeId;
  dims: readonly number[];
  /** Little-endian element bytes (TensorProto.raw_data). */
  raw: Uint8Array;
}

export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'string'; value: string }
  | { kind: 'tensor'; value: TensorProto };

export interface NodeProto {
  opType: string;
  name: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes?: Readonly<Record<string, AttributeValue>>;
  domain?: string;
}

/** A dimension is either fixed (a number) or symbolic (a dim_param name such as "batch_size"). */
export type Dim = number | string;

export interface ValueInfoProto {
  name: string;
  elemType: DataTypeId;
  shape: readonly Dim[];
  doc?: string;
}

export interface GraphProto {
  name: string;
  nodes: readonly NodeProto[];
  initializers: readonly TensorProto[];
  inputs: readonly ValueInfoProto[];
  outputs: readonly ValueInfoProto[];
  doc?: string;
}

export interface ModelProto {
  irVersion: number;
  opsetImports: readonly { domain: string; version: number }[];
  producerName: string;
  producerVersion: string;
  doc?: string;
  graph: GraphProto;
  metadata?: readonly { key: string; value: string }[];
}

// AttributeProto.AttributeType values.
const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_TENSOR = 4;
const ATTR_INTS = 7;

function encodeTensor(tensor: TensorProto): ProtoWriter {
  const expected = tensor.dims.reduce((a, b) => a * b, 1) * bytesPerElement(tensor.dataType);
  if (tensor.raw.byteLength !== expected) {
    throw new Error(
      `ONNX tensor ${tensor.name}: ${tensor.raw.byteLength} bytes for dims [${tensor.dims.join(', ')}], expected ${expected}`,
    );
  }
  const w = new ProtoWriter();
  for (const dim of tensor.dims) w.int(1, dim);
  w.int(2, tensor.dataType);
  w.string(8, tensor.name);
  w.bytes(9, tensor.raw);
  return w;
}

export function bytesPerElement(dataType: DataTypeId): number {
  switch (dataType) {
    case DataType.FLOAT:
    case DataType.INT32:
      return 4;
    case DataType.INT64:
      return 8;
    case DataType.UINT8:
    case DataType.INT8:
    case DataType.BOOL:
      return 1;
  }
}

function encodeAttribute(name: string, attribute: AttributeValue): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, name);
  switch (attribute.kind) {
    case 'float':
      w.float(2, attribute.value).int(20, ATTR_FLOAT);
      break;
    case 'int':
      w.int(3, attribute.value).int(20, ATTR_INT);
      break;
    case 'string':
      w.string(4, attribute.value).int(20, ATTR_STRING);
      break;
    case 'tensor':
      w.message(5, encodeTensor(attribute.value)).int(20, ATTR_TENSOR);
      break;
    case 'ints':
      for (const value of attribute.value) w.int(8, value);
      w.int(20, ATTR_INTS);
      break;
    default: {
      const unknown: never = attribute;
      throw new Error(`unsupported ONNX attribute ${JSON.stringify(unknown)}`);
    }
  }
  return w;
}

function encodeNode(node: NodeProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const input of node.inputs) w.string(1, input);
  for (const output of node.outputs) w.string(2, output);
  w.string(3, node.name);
  w.string(4, node.opType);
  // Attribute order is part of the bytes: sort so that equal graphs encode identically.
  for (const name of Object.keys(node.attributes ?? {}).sort()) {
    const attribute = node.attributes?.[name];
    if (attribute) w.message(5, encodeAttribute(name, attribute));
  }
  if (node.domain) w.string(7, node.domain);
  return w;
}

function encodeValueInfo(info: ValueInfoProto): ProtoWriter {
  const shape = new ProtoWriter();
  for (const dim of info.shape) {
    const d = new ProtoWriter();
    if (typeof dim === 'number') d.int(1, dim);
    else d.string(2, dim);
    shape.message(1, d);
  }
  const tensorType = new ProtoWriter().int(1, info.elemType).message(2, shape);
  const type = new ProtoWriter().message(1, tensorType);
  const w = new ProtoWriter().string(1, info.name).message(2, type);
  if (info.doc) w.string(3, info.doc);
  return w;
}

function encodeGraph(graph: GraphProto): ProtoWriter {
  const w = new ProtoWriter();
  for (const node of graph.nodes) w.message(1, encodeNode(node));
  w.string(2, graph.name);
  for (const tensor of graph.initializers) w.message(5, encodeTensor(tensor));
  if (graph.doc) w.string(10, graph.doc);
  for (const input of graph.inputs) w.message(11, encodeValueInfo(input));
  for (const output of graph.outputs) w.message(12, encodeValueInfo(output));
  return w;
}

/** Serializes a model; the result is the content of a `.onnx` file. */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new ProtoWriter();
  w.int(1, model.irVersion);
  w.string(2, model.producerName);
  w.string(3, model.producerVersion);
  if (model.doc) w.string(6, model.doc);
  w.message(7, encodeGraph(model.graph));
  for (const opset of model.opsetImports) {
    const o = new ProtoWriter();
    if (opset.domain) o.string(1, opset.domain);
    o.int(2, opset.version);
    w.message(8, o);
  }
  for (const entry of model.metadata ?? []) {
    w.message(14, new ProtoWriter().string(1, entry.key).string(2, entry.value));
  }
  return w.finish();
}
