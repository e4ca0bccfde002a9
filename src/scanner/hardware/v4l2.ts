/**
 * Linux cameras through `v4l2-ctl` (v4l-utils): `--list-devices` groups the `/dev/video*` nodes
 * by hardware, `-d DEV --all` says what one node can do, `-d DEV --list-formats-ext` lists its
 * pixel formats and frame sizes. These only query the driver — no frame is captured and the
 * camera light stays off.
 */
import { linesOf, splitKeyValue } from './text.js';

export interface V4l2DeviceGroup {
  /** `HD Pro Webcam C920`. */
  readonly name: string;
  /** `usb-0000:00:14.0-2`, `platform:…`, `PCI:…`; null when the heading has none. */
  readonly bus: string | null;
  /** The group's `/dev/video*` nodes (media nodes left out). */
  readonly videoNodes: string[];
}

/**
 * `v4l2-ctl --list-devices`: headings `NAME (BUS):` each followed by tab-indented device nodes.
 */
export function parseV4l2ListDevices(text: string): V4l2DeviceGroup[] {
  const groups: { name: string; bus: string | null; videoNodes: string[] }[] = [];
  let current: { name: string; bus: string | null; videoNodes: string[] } | null = null;
  for (const line of linesOf(text)) {
    if (line.trim() === '') continue;
    if (/^\s/.test(line)) {
      const node = line.trim();
      if (current !== null && /^\/dev\/video\d+$/.test(node)) current.videoNodes.push(node);
      continue;
    }
    const heading = /^(.*?)\s*(?:\(([^()]*)\))?:\s*$/.exec(line);
    if (heading === null) {
      current = null;
      continue;
    }
    current = { name: (heading[1] ?? '').trim(), bus: heading[2]?.trim() || null, videoNodes: [] };
    groups.push(current);
  }
  return groups.filter((group) => group.name !== '' || group.videoNodes.length > 0);
}

export interface V4l2NodeInfo {
  readonly driver: string | null;
  readonly card: string | null;
  readonly bus: string | null;
  /** What this node does (`Device Caps`), e.g. `Video Capture`, `Metadata Capture`. */
  readonly deviceCaps: string[];
  /** True when the node itself captures video (single- or multi-planar). */
  readonly isVideoCapture: boolean;
  /** The current capture format, when the node reports one. */
  readonly currentWidth: number | null;
  readonly currentHeight: number | null;
  readonly currentPixelFormat: string | null;
}

/**
 * `v4l2-ctl -d DEV --all` (or `--info`). A UVC webcam has two nodes: the first with
 * `Device Caps: Video Capture`, the second with `Metadata Capture` only. `Capabilities` lists the
 * whole device's abilities on both, so only `Device Caps` says what a node is.
 */
export function parseV4l2All(text: string): V4l2NodeInfo {
  let driver: string | null = null;
  let card: string | null = null;
  let bus: string | null = null;
  const deviceCaps: string[] = [];
  const capabilities: string[] = [];
  let collecting: string[] | null = null;
  let section = '';
  let width: number | null = null;
  let height: number | null = null;
  let pixelFormat: string | null = null;
  for (const line of linesOf(text)) {
    if (!/^\s/.test(line)) {
      section = line.trim();
      collecting = null;
      continue;
    }
    const depth = /^(\t*| *)/.exec(line)?.[1]?.replace(/ {8}/g, '\t').length ?? 0;
    const pair = splitKeyValue(line);
    if (section === 'Driver Info:' || section.startsWith('Driver Info')) {
      if (pair !== null && depth <= 1 && /^[A-Z]/.test(pair[0])) {
        collecting = null;
        if (pair[0] === 'Driver name') driver = pair[1] || null;
        else if (pair[0] === 'Card type') card = pair[1] || null;
        else if (pair[0] === 'Bus info') bus = pair[1] || null;
        else if (pair[0] === 'Device Caps') collecting = deviceCaps;
        else if (pair[0] === 'Capabilities') collecting = capabilities;
        continue;
      }
      if (collecting !== null && pair === null) collecting.push(line.trim());
      continue;
    }
    if (section === 'Format Video Capture:' || section === 'Format Video Capture Multiplanar:') {
      if (pair === null) continue;
      if (pair[0] === 'Width/Height') {
        const size = /^(\d+)\/(\d+)$/.exec(pair[1]);
        if (size !== null) {
          width = Number(size[1]);
          height = Number(size[2]);
        }
      } else if (pair[0] === 'Pixel Format') {
        pixelFormat = /'([^']+)'/.exec(pair[1])?.[1] ?? null;
      }
    }
  }
  // Old drivers without device caps: fall back to the device's capabilities.
  const caps = deviceCaps.length > 0 ? deviceCaps : capabilities;
  return {
    driver,
    card,
    bus,
    deviceCaps: caps,
    isVideoCapture: caps.some((cap) => /^Video Capture( Multiplanar)?$/.test(cap)),
    currentWidth: width !== null && width > 0 ? width : null,
    currentHeight: height !== null && height > 0 ? height : null,
    currentPixelFormat: pixelFormat,
  };
}

export interface V4l2Formats {
  /** FourCC codes in the order listed: `MJPG`, `YUYV`, `H264`. */
  readonly formats: string[];
  /** The largest frame size (by area) of any format. */
  readonly maxWidth: number | null;
  readonly maxHeight: number | null;
}

/**
 * `v4l2-ctl -d DEV --list-formats-ext`, both layouts: `[0]: 'MJPG' (Motion-JPEG, compressed)`
 * (v4l-utils ≥ 1.14) and `Pixel Format: 'MJPG' (compressed)` (older), with `Size: Discrete WxH`
 * or `Size: Stepwise 32x32 - 2592x1944 with step 2/2` lines.
 */
export function parseV4l2Formats(text: string): V4l2Formats {
  const formats: string[] = [];
  let best: { width: number; height: number } | null = null;
  const consider = (width: number, height: number): void => {
    if (width <= 0 || height <= 0) return;
    if (best === null || width * height > best.width * best.height) best = { width, height };
  };
  for (const line of linesOf(text)) {
    const format = /^\s*(?:\[\d+\]:|Pixel Format\s*:)\s*'([^']+)'/.exec(line);
    if (format !== null) {
      const code = (format[1] ?? '').trim();
      if (code !== '' && !formats.includes(code)) formats.push(code);
      continue;
    }
    const discrete = /^\s*Size:\s*Discrete\s+(\d+)x(\d+)/.exec(line);
    if (discrete !== null) {
      consider(Number(discrete[1]), Number(discrete[2]));
      continue;
    }
    const range = /^\s*Size:\s*(?:Stepwise|Continuous)\s+\d+x\d+\s*-\s*(\d+)x(\d+)/.exec(line);
    if (range !== null) consider(Number(range[1]), Number(range[2]));
  }
  const found = best as { width: number; height: number } | null;
  return { formats, maxWidth: found?.width ?? null, maxHeight: found?.height ?? null };
}
