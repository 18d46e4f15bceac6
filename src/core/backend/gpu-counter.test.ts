import { describe, expect, it } from 'vitest';
import { countGpuWork, gpuWorkBetween, MAP_MODE_READ, type CountableDevice } from './gpu-counter.ts';

const MAP_MODE_WRITE = 0x0002;

/** A device that records what reaches it, so the counter is seen to pass every call through. */
function fakeDevice() {
  const seen: string[] = [];
  const device: CountableDevice = {
    createBuffer: ({ size }) => {
      seen.push(`createBuffer ${size}`);
      return {
        size,
        mapAsync: async (mode: number) => {
          seen.push(`mapAsync ${mode}`);
        },
      };
    },
    createCommandEncoder: () => ({
      beginComputePass: () => ({
        dispatchWorkgroups: (x: number, y = 1, z = 1) => seen.push(`dispatch ${x}×${y}×${z}`),
        dispatchWorkgroupsIndirect: () => seen.push('dispatch indirect'),
      }),
    }),
    queue: { writeBuffer: (_buffer, offset) => seen.push(`writeBuffer at ${offset}`) },
  };
  return { device, seen };
}

describe('countGpuWork', () => {
  it('counts dispatches, reads, allocations and uploaded bytes, passing every call through', async () => {
    const { device, seen } = fakeDevice();
    const counter = countGpuWork(device);
    const upload = device.createBuffer({ size: 64, usage: 0, mappedAtCreation: true });
    const staging = device.createBuffer({ size: 32, usage: 0 });
    const pass = device.createCommandEncoder().beginComputePass();
    pass.dispatchWorkgroups(4, 2);
    pass.dispatchWorkgroups(1);
    pass.dispatchWorkgroupsIndirect?.(staging, 0);
    await staging.mapAsync(MAP_MODE_READ);
    await upload.mapAsync(MAP_MODE_WRITE);
    device.queue.writeBuffer(staging, 0, new Float32Array(6));
    device.queue.writeBuffer(staging, 0, new Uint32Array(10), 2, 3);
    device.queue.writeBuffer(staging, 0, new ArrayBuffer(20), 4);
    expect(counter.counts()).toEqual({
      dispatches: 3,
      reads: 1,
      syncReads: 0,
      readBytes: 32,
      bufferAllocations: 2,
      bytesUploaded: 64 + 24 + 12 + 16,
    });
    expect(seen).toEqual([
      'createBuffer 64',
      'createBuffer 32',
      'dispatch 4×2×1',
      'dispatch 1×1×1',
      'dispatch indirect',
      `mapAsync ${MAP_MODE_READ}`,
      `mapAsync ${MAP_MODE_WRITE}`,
      'writeBuffer at 0',
      'writeBuffer at 0',
      'writeBuffer at 0',
    ]);
  });

  it('counts reads of buffers made before counting began through their shared prototype', async () => {
    const mapped: number[] = [];
    class FakeBuffer {
      constructor(readonly size: number) {}
      async mapAsync(mode: number): Promise<void> {
        mapped.push(mode);
      }
    }
    const { device } = fakeDevice();
    const earlier = new FakeBuffer(16);
    const counter = countGpuWork(device, { bufferPrototype: FakeBuffer.prototype });
    await earlier.mapAsync(MAP_MODE_READ);
    await new FakeBuffer(8).mapAsync(MAP_MODE_READ);
    await earlier.mapAsync(MAP_MODE_WRITE);
    expect(counter.counts()).toMatchObject({ reads: 2, readBytes: 24 });
    counter.restore();
    await earlier.mapAsync(MAP_MODE_READ);
    expect(counter.counts().reads).toBe(2);
    expect(mapped).toEqual([MAP_MODE_READ, MAP_MODE_READ, MAP_MODE_WRITE, MAP_MODE_READ]);
  });

  it('measures the work between two readings, resets, and stops counting once restored', () => {
    const { device } = fakeDevice();
    const counter = countGpuWork(device);
    device.createCommandEncoder().beginComputePass().dispatchWorkgroups(1);
    const before = counter.counts();
    device.createBuffer({ size: 8, usage: 0 });
    device.createCommandEncoder().beginComputePass().dispatchWorkgroups(1);
    expect(gpuWorkBetween(before, counter.counts())).toEqual({
      dispatches: 1,
      reads: 0,
      syncReads: 0,
      readBytes: 0,
      bufferAllocations: 1,
      bytesUploaded: 0,
    });
    counter.reset();
    expect(counter.counts().dispatches).toBe(0);
    counter.restore();
    device.createBuffer({ size: 8, usage: 0 });
    device.createCommandEncoder().beginComputePass().dispatchWorkgroups(1);
    expect(counter.counts()).toEqual({
      dispatches: 0,
      reads: 0,
      syncReads: 0,
      readBytes: 0,
      bufferAllocations: 0,
      bytesUploaded: 0,
    });
  });

  it('breaks dispatches down by the label of the pipeline each ran', () => {
    const { device } = fakeDevice();
    const passes: { setPipeline(p: { label?: string }): void }[] = [];
    const inner = device.createCommandEncoder;
    device.createCommandEncoder = () => {
      const encoder = inner();
      return {
        beginComputePass: () => {
          const pass = {
            ...encoder.beginComputePass(),
            setPipeline: (p: { label?: string }) => passes.push(p as never),
          };
          return pass;
        },
      };
    };
    const counter = countGpuWork(device);
    const pass = device.createCommandEncoder().beginComputePass();
    pass.setPipeline?.({ label: 'MatMulPackedProgram' });
    pass.dispatchWorkgroups(2);
    pass.dispatchWorkgroups(2);
    pass.setPipeline?.({ label: 'BinaryOpProgram' });
    pass.dispatchWorkgroups(1);
    const other = device.createCommandEncoder().beginComputePass();
    other.setPipeline?.({ label: 'BinaryOpProgram' });
    other.dispatchWorkgroups(1);
    other.setPipeline?.({});
    other.dispatchWorkgroups(1);
    expect(counter.dispatchesByPipeline()).toEqual([
      ['BinaryOpProgram', 2],
      ['MatMulPackedProgram', 2],
      ['(unlabelled)', 1],
    ]);
    expect(passes).toHaveLength(4);
    counter.reset();
    expect(counter.dispatchesByPipeline()).toEqual([]);
  });

  it("counts a backend's synchronous reads and puts its readSync back", () => {
    const { device } = fakeDevice();
    const backend = { readSync: (id: unknown) => [id] };
    const counter = countGpuWork(device, { backend });
    expect(backend.readSync(7)).toEqual([7]);
    expect(backend.readSync(8)).toEqual([8]);
    expect(counter.counts().syncReads).toBe(2);
    counter.restore();
    backend.readSync(9);
    expect(counter.counts().syncReads).toBe(2);
  });
});
