// What a step encodes on WebGPU, counted where tfjs-backend-webgpu meets the device: compute
// dispatches (dispatchWorkgroups on every compute pass), GPU→CPU reads (buffers mapped for
// reading), buffer allocations (createBuffer; tfjs' buffer manager reuses freed buffers, so these
// are the ones its pool could not serve) and bytes uploaded (buffers created mapped with data,
// tfjs' upload path, and queue.writeBuffer, its uniforms). The counter wraps the methods of one
// device object in place; `restore` puts them back. Typed structurally, so it runs on Chromium's
// WebGPU and on Dawn in Node alike, and on a fake device in tests.

export interface GpuWorkCounts {
  dispatches: number;
  reads: number;
  /**
   * Synchronous reads asked of the backend (readSync: the host blocks until the GPU is done);
   * counted only when CountOptions.backend is given.
   */
  syncReads: number;
  /** Bytes read back from the GPU (sizes of the buffers mapped for reading). */
  readBytes: number;
  bufferAllocations: number;
  bytesUploaded: number;
}

interface ComputePassLike {
  setPipeline?(pipeline: { label?: string }): void;
  dispatchWorkgroups(...args: number[]): void;
  dispatchWorkgroupsIndirect?(...args: unknown[]): void;
}

interface CommandEncoderLike {
  beginComputePass(...args: unknown[]): ComputePassLike;
}

interface BufferLike {
  readonly size: number;
  mapAsync(mode: number, ...args: unknown[]): Promise<void>;
}

export interface CountableDevice {
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean }): BufferLike;
  createCommandEncoder(...args: unknown[]): CommandEncoderLike;
  readonly queue: { writeBuffer(buffer: unknown, offset: number, data: unknown, ...rest: unknown[]): void };
}

/** GPUMapMode.READ, the same number on every WebGPU implementation. */
export const MAP_MODE_READ = 0x0001;

export interface GpuCounter {
  /** The counts since the counter started or was last reset. */
  counts(): GpuWorkCounts;
  /**
   * Dispatches since the counter started or was last reset, per pipeline label (tfjs labels each
   * pipeline with its program's class name; ours carry their own), most first.
   */
  dispatchesByPipeline(): [label: string, dispatches: number][];
  reset(): void;
  /** Puts the device's own methods back; the counts stay readable. */
  restore(): void;
}

const zero = (): GpuWorkCounts => ({
  dispatches: 0,
  reads: 0,
  syncReads: 0,
  readBytes: 0,
  bufferAllocations: 0,
  bytesUploaded: 0,
});

/** Bytes of the data argument of queue.writeBuffer: a BufferSource, optionally cut by offset and size. */
function writtenBytes(data: unknown, rest: unknown[]): number {
  const view = data as { byteLength?: number; BYTES_PER_ELEMENT?: number };
  const elementSize = view.BYTES_PER_ELEMENT ?? 1;
  const [dataOffset, size] = rest as [number | undefined, number | undefined];
  if (size !== undefined) return size * elementSize;
  return Math.max(0, (view.byteLength ?? 0) - (dataOffset ?? 0) * elementSize);
}

export interface CountOptions {
  /**
   * The prototype every buffer of the device shares (GPUBuffer.prototype). tfjs reuses buffers it
   * made before counting began, reads included, so reads are counted on the prototype when it is
   * given; without it, only the buffers made while counting are seen.
   */
  bufferPrototype?: { mapAsync(mode: number, ...args: unknown[]): Promise<void> };
  /** The tfjs backend over the device, whose synchronous reads are counted. */
  backend?: { readSync(...args: unknown[]): unknown };
}

/** Starts counting what `device` is asked to do. */
export function countGpuWork(device: CountableDevice, options: CountOptions = {}): GpuCounter {
  let counts = zero();
  let byPipeline = new Map<string, number>();
  const countDispatch = (label: string) => {
    counts.dispatches++;
    byPipeline.set(label, (byPipeline.get(label) ?? 0) + 1);
  };
  const countRead = (mode: number, size: number) => {
    if (mode & MAP_MODE_READ) {
      counts.reads++;
      counts.readBytes += size;
    }
  };
  const prototype = options.bufferPrototype as unknown as Record<string, unknown> | undefined;
  const prototypeMapAsync = options.bufferPrototype?.mapAsync;
  if (prototype && prototypeMapAsync) {
    prototype.mapAsync = function (this: BufferLike, mode: number, ...args: unknown[]) {
      countRead(mode, this.size);
      return prototypeMapAsync.call(this, mode, ...args);
    };
  }
  const backend = options.backend as unknown as Record<string, unknown> | undefined;
  const readSync = options.backend?.readSync;
  if (backend && readSync) {
    backend.readSync = function (this: unknown, ...args: unknown[]) {
      counts.syncReads++;
      return readSync.apply(this, args);
    };
  }
  const target = device as unknown as Record<string, unknown>;
  const queue = device.queue as unknown as Record<string, unknown>;
  const createBuffer = device.createBuffer;
  const createCommandEncoder = device.createCommandEncoder;
  const writeBuffer = device.queue.writeBuffer;

  target.createBuffer = function (this: unknown, descriptor: Parameters<CountableDevice['createBuffer']>[0]) {
    const buffer = createBuffer.call(this, descriptor);
    counts.bufferAllocations++;
    if (descriptor.mappedAtCreation) counts.bytesUploaded += descriptor.size;
    if (prototype) return buffer;
    const mapAsync = buffer.mapAsync;
    (buffer as unknown as Record<string, unknown>).mapAsync = function (
      this: unknown,
      mode: number,
      ...args: unknown[]
    ) {
      countRead(mode, buffer.size);
      return mapAsync.call(this, mode, ...args);
    };
    return buffer;
  };
  target.createCommandEncoder = function (this: unknown, ...args: unknown[]) {
    const encoder = createCommandEncoder.apply(this, args);
    const beginComputePass = encoder.beginComputePass;
    (encoder as unknown as Record<string, unknown>).beginComputePass = function (
      this: unknown,
      ...passArgs: unknown[]
    ) {
      const pass = beginComputePass.apply(this, passArgs);
      const dispatch = pass.dispatchWorkgroups;
      const record = pass as unknown as Record<string, unknown>;
      let label = '(no pipeline)';
      const setPipeline = pass.setPipeline;
      if (setPipeline) {
        record.setPipeline = function (this: unknown, pipeline: { label?: string }) {
          label = pipeline.label || '(unlabelled)';
          return setPipeline.call(this, pipeline);
        };
      }
      record.dispatchWorkgroups = function (this: unknown, ...sizes: number[]) {
        countDispatch(label);
        return dispatch.apply(this, sizes);
      };
      const indirect = pass.dispatchWorkgroupsIndirect;
      if (indirect) {
        record.dispatchWorkgroupsIndirect = function (this: unknown, ...rest: unknown[]) {
          countDispatch(label);
          return indirect.apply(this, rest);
        };
      }
      return pass;
    };
    return encoder;
  };
  queue.writeBuffer = function (
    this: unknown,
    buffer: unknown,
    offset: number,
    data: unknown,
    ...rest: unknown[]
  ) {
    counts.bytesUploaded += writtenBytes(data, rest);
    return writeBuffer.call(this, buffer, offset, data, ...rest);
  };

  return {
    counts: () => ({ ...counts }),
    dispatchesByPipeline: () => [...byPipeline].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    reset: () => {
      counts = zero();
      byPipeline = new Map();
    },
    restore: () => {
      target.createBuffer = createBuffer;
      target.createCommandEncoder = createCommandEncoder;
      queue.writeBuffer = writeBuffer;
      if (prototype) prototype.mapAsync = prototypeMapAsync;
      if (backend && readSync) backend.readSync = readSync;
    },
  };
}

/** `after` minus `before`, field by field: what happened between two readings. */
export function gpuWorkBetween(before: GpuWorkCounts, after: GpuWorkCounts): GpuWorkCounts {
  return {
    dispatches: after.dispatches - before.dispatches,
    reads: after.reads - before.reads,
    syncReads: after.syncReads - before.syncReads,
    readBytes: after.readBytes - before.readBytes,
    bufferAllocations: after.bufferAllocations - before.bufferAllocations,
    bytesUploaded: after.bytesUploaded - before.bytesUploaded,
  };
}
