/**
 * What the reader's GPU backends really are. A WebGPU or WebGL context that runs on a software
 * rasteriser (SwiftShader, llvmpipe, Microsoft Basic Render) exists but is 10–400× slower than
 * WebAssembly for this model (measured: 34 s to the first prediction on SwiftShader WebGPU against
 * 5 s for a whole wasm Score-CAM), so the automatic choice never times those: it skips them.
 */
export interface RendererInfo {
  available: boolean;
  /** what the browser reports (vendor, architecture, renderer), for the note */
  description: string;
  software: boolean;
}

const SOFTWARE = /swiftshader|llvmpipe|softpipe|software|basic render|lavapipe/i;

export function isSoftwareRenderer(description: string): boolean {
  return SOFTWARE.test(description);
}

interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; description?: string; device?: string; isFallbackAdapter?: boolean };
  requestAdapterInfo?: () => Promise<{ vendor?: string; architecture?: string; description?: string; device?: string }>;
}

async function probeWebGpu(): Promise<RendererInfo> {
  const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } }).gpu;
  if (!gpu) return { available: false, description: 'no WebGPU in this browser', software: false };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { available: false, description: 'no WebGPU adapter', software: false };
    const info = adapter.info ?? (await adapter.requestAdapterInfo?.()) ?? {};
    const description = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
    const fallback = adapter.isFallbackAdapter === true || adapter.info?.isFallbackAdapter === true;
    return { available: true, description, software: fallback || isSoftwareRenderer(description) };
  } catch (e) {
    return { available: false, description: e instanceof Error ? e.message : String(e), software: false };
  }
}

function probeWebGl(): RendererInfo {
  try {
    const canvas = document.createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (!gl) return { available: false, description: 'no WebGL context', software: false };
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const description = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? 'unknown renderer');
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { available: true, description, software: isSoftwareRenderer(description) };
  } catch (e) {
    return { available: false, description: e instanceof Error ? e.message : String(e), software: false };
  }
}

export async function probeRenderers(): Promise<{ webgpu: RendererInfo; webgl: RendererInfo }> {
  return { webgpu: await probeWebGpu(), webgl: probeWebGl() };
}
