/**
 * The camera probe. Linux: `v4l2-ctl` lists the video nodes, then each node's capabilities and
 * formats are queried — only nodes that capture video count (a webcam's metadata node does not).
 * Without `v4l2-ctl`, `/sys/class/video4linux` gives names only. macOS: `system_profiler`. The
 * camera is never opened for capture: that is the capability tests' job.
 */
import type { CameraInfo } from '../../core/index.js';
import {
  commandOutcome,
  summarizeOutcomes,
  type ProbeAnswer,
  type ProbeContext,
  type SourceOutcome,
} from './probe-context.js';
import { parseSystemProfilerJson, systemProfilerArgs } from './system-profiler.js';
import { linesOf } from './text.js';
import { parseV4l2All, parseV4l2Formats, parseV4l2ListDevices } from './v4l2.js';

async function cameraFromNode(
  ctx: ProbeContext,
  node: string,
  groupName: string,
  groupBus: string | null,
): Promise<CameraInfo | null> {
  const [all, formats] = await Promise.all([
    ctx.run('v4l2-ctl', ['-d', node, '--all']),
    ctx.run('v4l2-ctl', ['-d', node, '--list-formats-ext']),
  ]);
  if (all.status !== 'ok') return null;
  const info = parseV4l2All(all.stdout);
  if (!info.isVideoCapture) return null;
  const listed = formats.status === 'ok' ? parseV4l2Formats(formats.stdout) : null;
  const pixelFormats =
    listed !== null && listed.formats.length > 0
      ? listed.formats
      : info.currentPixelFormat === null
        ? []
        : [info.currentPixelFormat];
  return {
    id: node,
    name: info.card ?? groupName,
    driver: info.driver,
    bus: info.bus ?? groupBus,
    formats: pixelFormats,
    maxWidth: listed?.maxWidth ?? info.currentWidth,
    maxHeight: listed?.maxHeight ?? info.currentHeight,
    source: 'v4l2-ctl',
  };
}

/** Names from sysfs when `v4l2-ctl` is absent: index 0 is a device's capture node. */
async function camerasFromSysfs(ctx: ProbeContext): Promise<CameraInfo[] | null> {
  const nodes = await ctx.listNames('/sys/class/video4linux');
  if (nodes === null) return null;
  const cameras = await Promise.all(
    nodes
      .filter((name) => /^video\d+$/.test(name))
      .map(async (name): Promise<CameraInfo | null> => {
        const [label, index] = await Promise.all([
          ctx.readText(`/sys/class/video4linux/${name}/name`),
          ctx.readText(`/sys/class/video4linux/${name}/index`),
        ]);
        if (index !== null && index.trim() !== '0') return null;
        return {
          id: `/dev/${name}`,
          name: label?.trim() || name,
          driver: null,
          bus: null,
          formats: [],
          maxWidth: null,
          maxHeight: null,
          source: 'sysfs',
        };
      }),
  );
  return cameras.filter((camera) => camera !== null);
}

async function probeLinuxCameras(ctx: ProbeContext): Promise<ProbeAnswer<CameraInfo[]>> {
  const list = await ctx.run('v4l2-ctl', ['--list-devices']);
  if (list.status === 'ok') {
    const groups = parseV4l2ListDevices(list.stdout);
    const cameras = await Promise.all(
      groups.flatMap((group) =>
        group.videoNodes.map((node) => cameraFromNode(ctx, node, group.name, group.bus)),
      ),
    );
    return { value: cameras.filter((camera) => camera !== null), status: 'ok', detail: 'via v4l2-ctl' };
  }
  if (
    list.status === 'failed' &&
    linesOf(`${list.stderr}\n${list.stdout}`).some((line) => /Cannot open device \/dev\/video0/.test(line))
  ) {
    // v4l2-ctl says this when there is no video device at all.
    return { value: [], status: 'ok', detail: 'via v4l2-ctl (no video devices)' };
  }
  const sysfs = await camerasFromSysfs(ctx);
  if (sysfs !== null) {
    const why = summarizeOutcomes([commandOutcome('v4l2-ctl', list)]).detail ?? '';
    return { value: sysfs, status: 'ok', detail: `via /sys/class/video4linux (names only; ${why})` };
  }
  // Without /sys/class/video4linux the kernel has no video device; /sys/class itself being
  // readable is what says the kernel was asked.
  const kernel: SourceOutcome =
    (await ctx.listNames('/sys/class')) !== null
      ? { source: 'kernel (no video devices)', status: 'ok' }
      : { source: '/sys/class/video4linux', status: 'missing' };
  return { value: [], ...summarizeOutcomes([commandOutcome('v4l2-ctl', list), kernel]) };
}

/** Cameras of this machine. */
export async function probeCameras(ctx: ProbeContext): Promise<ProbeAnswer<CameraInfo[]>> {
  if (ctx.env.platform === 'darwin') {
    const result = await ctx.run('system_profiler', systemProfilerArgs());
    const cameras = result.status === 'ok' ? parseSystemProfilerJson(result.stdout).cameras : [];
    return { value: cameras, ...summarizeOutcomes([commandOutcome('system_profiler', result)]) };
  }
  if (ctx.env.platform === 'linux') return probeLinuxCameras(ctx);
  return {
    value: [],
    status: 'not_detected',
    detail: `camera detection is not supported on ${ctx.env.platform}`,
  };
}
