/**
 * The explorer's default 3D view: the voxel cloud (the original project's plot_00404 look) drawn
 * with a small WebGL program of its own, not plotly: the points come from a worker
 * (cloud-client.ts), and every restyle (threshold, opacity, CT / CAM on or off) is a uniform and one
 * redraw, so nothing is rebuilt and no task on the page's thread grows with the volume. The math
 * (camera, drawing order, labels, picking, colours) is lib/viz/cloud-view.ts, which the build's
 * static figure shares.
 * Interaction: drag rotates; the wheel zooms only after a click on the plot; on a touch screen a
 * swipe scrolls the page until the reader taps the plot (then drags rotate, "Done" gives the page
 * back); double-click resets; arrow keys rotate and +/− zoom when it has focus; hovering (or
 * tapping) reports the voxel under the pointer.
 */
import { CAM_COLORMAP, MASK_RGB, colormapLut } from '../../lib/viz/colormap';
import {
  BELOW_RGB, DEFAULT_CAMERA, clampCamera, crossAt, cubeEdges, drawOrder, orderKey, pickVoxel, placeLabels, planeOutlines, pointAlpha, pointIndex, projection,
  type CloudPoints, type OrbitCamera, type Projection,
} from '../../lib/viz/cloud-view';
import type { Pos } from '../../lib/viz/orient';

export interface CloudStyle {
  threshold: number;
  opacity: number;
  showCt: boolean;
  showCam: boolean;
}

type GL = WebGLRenderingContext | WebGL2RenderingContext;

const POINT_VS = `
attribute vec3 a_pos; attribute float a_val;
uniform vec3 u_eye, u_right, u_up, u_fwd; uniform vec2 u_f; uniform float u_size;
uniform float u_threshold, u_alpha, u_showCt, u_showCam; uniform sampler2D u_lut; uniform vec3 u_below;
varying vec4 v_color;
void main() {
  vec3 d = a_pos - u_eye;
  float z = dot(d, u_fwd);
  gl_Position = vec4(dot(d, u_right) * u_f.x, dot(d, u_up) * u_f.y, 0.0, z);
  gl_PointSize = u_size / z;
  bool hot = u_showCam > 0.5 && a_val >= u_threshold;
  vec3 c = hot ? texture2D(u_lut, vec2(a_val * (255.0 / 256.0) + 0.5 / 256.0, 0.5)).rgb : u_below;
  float a = (hot || u_showCt > 0.5) ? u_alpha : 0.0;
  v_color = vec4(c * a, a);
  if (a == 0.0) gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
}`;
const POINT_FS = `precision mediump float; varying vec4 v_color; void main() { gl_FragColor = v_color; }`;
const LINE_VS = `
attribute vec3 a_pos; uniform vec3 u_eye, u_right, u_up, u_fwd; uniform vec2 u_f;
void main() { vec3 d = a_pos - u_eye; gl_Position = vec4(dot(d, u_right) * u_f.x, dot(d, u_up) * u_f.y, 0.0, dot(d, u_fwd)); }`;
const LINE_FS = `precision mediump float; uniform vec4 u_color; void main() { gl_FragColor = u_color; }`;

function compile(gl: GL, vs: string, fs: string): WebGLProgram {
  const prog = gl.createProgram()!;
  for (const [type, src] of [[gl.VERTEX_SHADER, vs], [gl.FRAGMENT_SHADER, fs]] as const) {
    const sh = gl.createShader(type)!;
    gl.shaderSource(sh, src);
    gl.compileShader(sh);
    if (!gl.getShaderParameter(sh, gl.COMPILE_STATUS)) throw new Error(`shader: ${gl.getShaderInfoLog(sh)}`);
    gl.attachShader(prog, sh);
  }
  gl.linkProgram(prog);
  if (!gl.getProgramParameter(prog, gl.LINK_STATUS)) throw new Error(`program: ${gl.getProgramInfoLog(prog)}`);
  return prog;
}

function cssColor(el: HTMLElement, name: string, fallback: string): [number, number, number, number] {
  const v = getComputedStyle(el).getPropertyValue(name).trim() || fallback;
  const probe = document.createElement('canvas').getContext('2d')!;
  probe.fillStyle = v;
  const hex = probe.fillStyle; // normalised: #rrggbb or rgba(...)
  if (hex.startsWith('#')) return [parseInt(hex.slice(1, 3), 16) / 255, parseInt(hex.slice(3, 5), 16) / 255, parseInt(hex.slice(5, 7), 16) / 255, 1];
  const m = hex.match(/[\d.]+/g)?.map(Number) ?? [128, 128, 128, 1];
  return [m[0] / 255, m[1] / 255, m[2] / 255, m[3] ?? 1];
}

export interface Cloud3dOptions {
  /** the voxel under the pointer (null: none) */
  onHover?: (pos: Pos | null, how: 'hover' | 'tap') => void;
  /** the camera moved (drag, wheel, keys) */
  onCamera?: (c: OrbitCamera) => void;
  /** accessible name of the canvas */
  label?: string;
}

export class Cloud3d {
  readonly canvas: HTMLCanvasElement;
  private gl: GL;
  private pointProg: WebGLProgram;
  private lineProg: WebGLProgram;
  private posBuf: WebGLBuffer;
  private valBuf: WebGLBuffer;
  private idxBuf: WebGLBuffer;
  private lineBuf: WebGLBuffer;
  private lut: WebGLTexture;
  private points: CloudPoints | null = null;
  private pointOf: Int32Array | null = null;
  private orders = new Map<string, Uint32Array>();
  private shownOrder = '';
  private ct: Float32Array | null = null;
  private style: CloudStyle = { threshold: 0, opacity: 0.6, showCt: true, showCam: true };
  private planes: Pos | null = null;
  /** the organ mask's surface as line segments (world frame), drawn in the mask colour over the points */
  private maskLines: Float32Array | null = null;
  private hover: Pos | null = null;
  private labels: HTMLElement[] = [];
  private frame = 0;
  private engaged = false;
  private colors = { edge: [0.5, 0.5, 0.5, 1], plane: [0.55, 0.55, 0.55, 1], hover: [0.8, 0.1, 0.4, 1], bg: [1, 1, 1, 1] };
  camera: OrbitCamera = { ...DEFAULT_CAMERA };
  /** ms of the last frame's draw calls (CPU side) */
  lastFrameMs: number | null = null;
  /** frames drawn */
  frames = 0;

  constructor(
    readonly host: HTMLElement,
    private opts: Cloud3dOptions = {},
  ) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'c3d-canvas';
    this.canvas.tabIndex = 0;
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', opts.label ?? '3D voxel cloud of the CT coloured by the CAM; drag to rotate, arrow keys rotate, plus and minus zoom');
    host.append(this.canvas);
    const attrs: WebGLContextAttributes = { antialias: false, premultipliedAlpha: true, alpha: false, preserveDrawingBuffer: true };
    const gl = (this.canvas.getContext('webgl2', attrs) ?? this.canvas.getContext('webgl', attrs)) as GL | null;
    if (!gl) throw new Error('WebGL is not available');
    if (!(gl instanceof WebGL2RenderingContext) && !gl.getExtension('OES_element_index_uint')) throw new Error('WebGL without 32-bit indices');
    this.gl = gl;
    this.pointProg = compile(gl, POINT_VS, POINT_FS);
    this.lineProg = compile(gl, LINE_VS, LINE_FS);
    this.posBuf = gl.createBuffer()!;
    this.valBuf = gl.createBuffer()!;
    this.idxBuf = gl.createBuffer()!;
    this.lineBuf = gl.createBuffer()!;
    this.lut = gl.createTexture()!;
    const lut = colormapLut(CAM_COLORMAP);
    const rgba = new Uint8Array(256 * 4);
    for (let i = 0; i < 256; i++) rgba.set([lut[3 * i], lut[3 * i + 1], lut[3 * i + 2], 255], 4 * i);
    gl.bindTexture(gl.TEXTURE_2D, this.lut);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, 256, 1, 0, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
    for (const t of ['R', 'L', 'A', 'P', 'S', 'I']) {
      const s = document.createElement('span');
      s.className = 'c3d-label';
      s.textContent = t;
      s.setAttribute('aria-hidden', 'true');
      host.append(s);
      this.labels.push(s);
    }
    this.readTheme();
    this.wire();
    new ResizeObserver(() => this.request()).observe(host);
  }

  /** Software renderers (SwiftShader, llvmpipe) report themselves here. */
  rendererName(): string {
    const gl = this.gl;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  }

  /** The page's theme changed: the background, edges and labels follow it. */
  readTheme(): void {
    this.colors.bg = cssColor(this.host, '--bg-raised', '#fff');
    this.colors.edge = cssColor(this.host, '--fg-muted', '#777');
    this.colors.plane = cssColor(this.host, '--border', '#aaa');
    this.colors.hover = cssColor(this.host, '--accent', '#c2255c');
    this.request();
  }

  setPoints(p: CloudPoints, ct: Float32Array): void {
    const gl = this.gl;
    this.points = p;
    this.ct = ct;
    this.pointOf = pointIndex(p);
    this.orders.clear();
    this.shownOrder = '';
    gl.bindBuffer(gl.ARRAY_BUFFER, this.posBuf);
    gl.bufferData(gl.ARRAY_BUFFER, p.positions, gl.STATIC_DRAW);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.valBuf);
    gl.bufferData(gl.ARRAY_BUFFER, new Float32Array(p.n), gl.DYNAMIC_DRAW);
    this.request();
  }
  get pointCount(): number {
    return this.points?.n ?? 0;
  }
  get stride(): number {
    return this.points?.stride ?? 0;
  }

  /** CAM value per point (cloudValues); all zero without a CAM. */
  setValues(v: Float32Array): void {
    const gl = this.gl;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.valBuf);
    gl.bufferData(gl.ARRAY_BUFFER, v, gl.DYNAMIC_DRAW);
    this.request();
  }
  setStyle(s: CloudStyle): void {
    this.style = { ...s };
    this.request();
  }
  setPlanes(pos: Pos | null): void {
    this.planes = pos ? [...pos] : null;
    this.request();
  }
  setMask(lines: Float32Array | null): void {
    this.maskLines = lines;
    this.request();
  }
  setHover(pos: Pos | null): void {
    this.hover = pos ? [...pos] : null;
    this.request();
  }
  setCamera(c: OrbitCamera, notify = false): void {
    this.camera = clampCamera(c);
    if (notify) this.opts.onCamera?.(this.camera);
    this.request();
  }

  /** Draw at the next animation frame (many changes in one frame draw once). */
  request(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  /**
   * Times one full frame on the GPU without blocking the page's thread, or null where it cannot
   * (WebGL 1 has no fences). gl.finish() cannot time it: Chromium returns from it before the GPU has
   * drawn (it read 1-8 ms for a full 64³ frame that SwiftShader draws in ~80-120 ms), and each such
   * "timed" frame only queued another full frame for the compositor's read-back of the canvas
   * (headless Chromium composites in software), which waited for all of them on the page's thread:
   * one 265-490 ms task right after the first 3D view (issue 27, found with
   * scripts/profile-explorer.ts --trace: Commit → GLES2::ReadPixels). Here a fence after each draw
   * is polled from timers: a one-point draw first (it compiles the pipeline), then the frame.
   */
  async timeFrame(): Promise<number | null> {
    const gl = this.gl;
    if (!(gl instanceof WebGL2RenderingContext)) return null;
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    const done = async (): Promise<number> => {
      const t0 = performance.now();
      const sync = gl.fenceSync(gl.SYNC_GPU_COMMANDS_COMPLETE, 0);
      if (!sync) return NaN;
      gl.flush();
      while (gl.getSyncParameter(sync, gl.SYNC_STATUS) !== gl.SIGNALED && !gl.isContextLost()) await new Promise((r) => setTimeout(r, 4));
      gl.deleteSync(sync);
      return performance.now() - t0;
    };
    this.draw(1);
    await done();
    this.draw();
    const ms = await done();
    return Number.isFinite(ms) ? ms : null;
  }

  private projectionNow(): Projection | null {
    const w = this.host.clientWidth, h = this.host.clientHeight;
    if (!w || !h || !this.points) return null;
    return projection(this.camera, this.points.size, w, h);
  }

  /** Draws the frame (only the first `limit` points: a warm-up that compiles the pipeline). */
  private draw(limit = Infinity): void {
    const t0 = performance.now();
    const gl = this.gl;
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    const w = this.host.clientWidth, h = this.host.clientHeight;
    if (!w || !h) return;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
    }
    gl.viewport(0, 0, this.canvas.width, this.canvas.height);
    const [r, g, b] = this.colors.bg;
    gl.clearColor(r, g, b, 1);
    gl.clear(gl.COLOR_BUFFER_BIT);
    const p = this.points;
    const pr = this.projectionNow();
    if (!p || !pr) return;
    const setCam = (prog: WebGLProgram) => {
      gl.uniform3fv(gl.getUniformLocation(prog, 'u_eye'), pr.eye);
      gl.uniform3fv(gl.getUniformLocation(prog, 'u_right'), pr.right);
      gl.uniform3fv(gl.getUniformLocation(prog, 'u_up'), pr.up);
      gl.uniform3fv(gl.getUniformLocation(prog, 'u_fwd'), pr.fwd);
      gl.uniform2f(gl.getUniformLocation(prog, 'u_f'), pr.focal / (w / 2), pr.focal / (h / 2));
    };
    // lines first (behind the translucent points), then the points back to front
    this.lines(cubeEdges(p.size), this.colors.edge, setCam);
    if (this.planes) this.lines(planeOutlines(this.planes, p.size), this.colors.plane, setCam);

    const prog = this.pointProg;
    gl.useProgram(prog);
    setCam(prog);
    gl.uniform1f(gl.getUniformLocation(prog, 'u_size'), pr.focal * p.stride * dpr * 1.05);
    gl.uniform1f(gl.getUniformLocation(prog, 'u_threshold'), this.style.threshold);
    gl.uniform1f(gl.getUniformLocation(prog, 'u_alpha'), pointAlpha(this.style.opacity, p.stride));
    gl.uniform1f(gl.getUniformLocation(prog, 'u_showCt'), this.style.showCt ? 1 : 0);
    gl.uniform1f(gl.getUniformLocation(prog, 'u_showCam'), this.style.showCam ? 1 : 0);
    gl.uniform3f(gl.getUniformLocation(prog, 'u_below'), BELOW_RGB[0] / 255, BELOW_RGB[1] / 255, BELOW_RGB[2] / 255);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, this.lut);
    gl.uniform1i(gl.getUniformLocation(prog, 'u_lut'), 0);
    const aPos = gl.getAttribLocation(prog, 'a_pos'), aVal = gl.getAttribLocation(prog, 'a_val');
    gl.bindBuffer(gl.ARRAY_BUFFER, this.posBuf);
    gl.enableVertexAttribArray(aPos);
    gl.vertexAttribPointer(aPos, 3, gl.FLOAT, false, 0, 0);
    gl.bindBuffer(gl.ARRAY_BUFFER, this.valBuf);
    gl.enableVertexAttribArray(aVal);
    gl.vertexAttribPointer(aVal, 1, gl.FLOAT, false, 0, 0);
    const key = orderKey(pr.fwd);
    gl.bindBuffer(gl.ELEMENT_ARRAY_BUFFER, this.idxBuf);
    if (key !== this.shownOrder) {
      let order = this.orders.get(key);
      if (!order) this.orders.set(key, (order = drawOrder(p, this.pointOf!, pr.fwd)));
      gl.bufferData(gl.ELEMENT_ARRAY_BUFFER, order, gl.DYNAMIC_DRAW);
      this.shownOrder = key;
    }
    gl.enable(gl.BLEND);
    gl.blendFunc(gl.ONE, gl.ONE_MINUS_SRC_ALPHA);
    gl.drawElements(gl.POINTS, Math.min(p.n, limit), gl.UNSIGNED_INT, 0);
    gl.disable(gl.BLEND);
    gl.disableVertexAttribArray(aVal);
    if (this.maskLines) this.lines(this.maskLines, [MASK_RGB[0] / 255, MASK_RGB[1] / 255, MASK_RGB[2] / 255, 1], setCam);
    if (this.hover) this.lines(crossAt(this.hover, p.size, Math.max(2, p.size / 16)), this.colors.hover, setCam);
    this.placeLabels(pr);
    this.frames++;
    this.lastFrameMs = performance.now() - t0;
  }

  private lines(seg: Float32Array, color: number[], setCam: (p: WebGLProgram) => void): void {
    const gl = this.gl;
    const prog = this.lineProg;
    gl.useProgram(prog);
    setCam(prog);
    gl.uniform4f(gl.getUniformLocation(prog, 'u_color'), color[0], color[1], color[2], 1);
    const a = gl.getAttribLocation(prog, 'a_pos');
    gl.bindBuffer(gl.ARRAY_BUFFER, this.lineBuf);
    gl.bufferData(gl.ARRAY_BUFFER, seg, gl.DYNAMIC_DRAW);
    gl.enableVertexAttribArray(a);
    gl.vertexAttribPointer(a, 3, gl.FLOAT, false, 0, 0);
    gl.drawArrays(gl.LINES, 0, seg.length / 3);
  }

  private placeLabels(pr: Projection): void {
    const placed = placeLabels(pr, this.points!.size, 20);
    placed.forEach((l, i) => {
      const el = this.labels[i];
      el.hidden = !l.shown;
      el.style.transform = `translate(${(l.x - 10).toFixed(1)}px, ${(l.y - 10).toFixed(1)}px)`;
    });
  }

  /** The voxel under a client point, or null. */
  pick(clientX: number, clientY: number): Pos | null {
    const pr = this.projectionNow();
    if (!pr || !this.ct) return null;
    const r = this.canvas.getBoundingClientRect();
    return pickVoxel(pr, this.ct, this.points!.size, clientX - r.left, clientY - r.top);
  }

  /** Touch: the page scrolls until the reader taps the plot; "Done" (or a tap elsewhere) gives it back. */
  setEngaged(on: boolean, touch = false): void {
    this.engaged = on;
    this.host.toggleAttribute('data-engaged', on);
    this.host.toggleAttribute('data-touch-engaged', on && touch);
    // the figure around it shows a "Done" button while a touch has the plot
    this.host.parentElement?.toggleAttribute('data-touch-engaged', on && touch);
    this.host.parentElement?.toggleAttribute('data-engaged', on);
  }

  private wire(): void {
    const c = this.canvas;
    let drag: { x: number; y: number; cam: OrbitCamera; moved: boolean; id: number } | null = null;
    let hoverFrame = 0;
    let tap: { x: number; y: number; t: number; id: number } | null = null;
    c.addEventListener('pointerdown', (e) => {
      if (e.pointerType === 'mouse') this.setEngaged(true);
      if (e.pointerType !== 'mouse' && !this.engaged) {
        // a swipe on the plot scrolls the page; a tap (no move) engages it
        tap = { x: e.clientX, y: e.clientY, t: performance.now(), id: e.pointerId };
        return;
      }
      drag = { x: e.clientX, y: e.clientY, cam: { ...this.camera }, moved: false, id: e.pointerId };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (drag && drag.id === e.pointerId) {
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
        if (drag.moved) this.setCamera({ ...drag.cam, yaw: drag.cam.yaw - dx * 0.5, pitch: drag.cam.pitch + dy * 0.5 }, true);
        return;
      }
      if (e.pointerType !== 'mouse' || hoverFrame) return;
      const { clientX, clientY } = e;
      hoverFrame = requestAnimationFrame(() => {
        hoverFrame = 0;
        this.opts.onHover?.(this.pick(clientX, clientY), 'hover');
      });
    });
    const end = (e: PointerEvent) => {
      const t = tap;
      tap = null;
      if (t && t.id === e.pointerId && e.type === 'pointerup' && Math.hypot(e.clientX - t.x, e.clientY - t.y) < 10 && performance.now() - t.t < 600) {
        this.setEngaged(true, true);
        this.opts.onHover?.(this.pick(e.clientX, e.clientY), 'tap');
        return;
      }
      const d = drag;
      drag = null;
      if (!d || d.id !== e.pointerId || d.moved) return;
      if (e.type === 'pointerup') this.opts.onHover?.(this.pick(e.clientX, e.clientY), 'tap');
    };
    c.addEventListener('pointerup', end);
    c.addEventListener('pointercancel', end);
    c.addEventListener('pointerleave', (e) => {
      if (e.pointerType === 'mouse') {
        this.setEngaged(false);
        this.opts.onHover?.(null, 'hover');
      }
    });
    c.addEventListener('wheel', (e) => {
      if (!this.engaged) return; // the page scrolls until the reader clicks the plot
      e.preventDefault();
      this.setCamera({ ...this.camera, zoom: this.camera.zoom * Math.exp(-e.deltaY * 0.0015) }, true);
    }, { passive: false });
    c.addEventListener('dblclick', () => this.setCamera({ ...DEFAULT_CAMERA }, true));
    // a touch anywhere else gives the page its swipes back
    document.addEventListener('pointerdown', (e) => {
      if (this.engaged && e.pointerType !== 'mouse' && !this.host.contains(e.target as Node) && !(e.target as HTMLElement).closest?.('[data-touch-done]')) this.setEngaged(false);
    });
    c.addEventListener('keydown', (e) => {
      const k = e.key;
      const step = e.shiftKey ? 15 : 5;
      const m: Record<string, Partial<OrbitCamera>> = {
        ArrowLeft: { yaw: this.camera.yaw + step }, ArrowRight: { yaw: this.camera.yaw - step },
        ArrowUp: { pitch: this.camera.pitch + step }, ArrowDown: { pitch: this.camera.pitch - step },
        '+': { zoom: this.camera.zoom * 1.15 }, '=': { zoom: this.camera.zoom * 1.15 }, '-': { zoom: this.camera.zoom / 1.15 },
        '0': { ...DEFAULT_CAMERA },
      };
      if (!(k in m)) return;
      e.preventDefault();
      this.setCamera({ ...this.camera, ...m[k] }, true);
    });
  }
}
