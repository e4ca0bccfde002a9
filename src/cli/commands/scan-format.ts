/**
 * The human scan report, in the seed's shape: Hardware / Models / Services / Capability Tests /
 * Recommended capabilities to expose. Pure: a report in, lines out.
 */
import type { ProbeRun, ScanReport } from '../../core/index.js';

const OK = '✅';
const FAIL = '❌';
const NONE = '➖';
const SKIP = '⏭️ ';

const GIB = 1024 ** 3;
const gb = (bytes: number): string => `${(bytes / GIB).toFixed(1)} GB`;

function probe(report: ScanReport, id: string): ProbeRun | undefined {
  return report.probes.find((p) => p.id === id);
}

/** "not detected (why)" for a section that found nothing. */
function absent(report: ScanReport, what: string, probeIds: readonly string[]): string {
  const runs = probeIds.map((id) => probe(report, id)).filter((p): p is ProbeRun => p !== undefined);
  const failedRun = runs.find((p) => p.status === 'failed' || p.status === 'timed_out');
  if (failedRun) return `  ${FAIL} ${what}: the probe failed (${failedRun.detail ?? failedRun.status})`;
  const why = runs.map((p) => p.detail).filter((d): d is string => !!d);
  return `  ${NONE} ${what}: not detected${why.length ? ` (${why.join('; ')})` : ''}`;
}

function list(names: readonly string[], max = 6): string {
  return names.length <= max
    ? names.join(', ')
    : `${names.slice(0, max).join(', ')}, … (${names.length - max} more)`;
}

function hardwareLines(report: ScanReport): string[] {
  const { hardware: hw } = report;
  const lines: string[] = ['Hardware:'];
  if (hw.gpus.length === 0) lines.push(absent(report, 'GPU', ['gpu']));
  for (const gpu of hw.gpus) {
    const facts = [
      gpu.vramBytes === null ? null : `${gb(gpu.vramBytes)} ${gpu.unifiedMemory ? 'unified memory' : 'VRAM'}`,
      gpu.driver ? `driver ${gpu.driver}` : null,
      gpu.computeCapability ? `compute ${gpu.computeCapability}` : null,
      gpu.apis.length ? gpu.apis.join('/') : null,
    ].filter((f): f is string => f !== null);
    lines.push(`  ${OK} GPU: ${gpu.name}${facts.length ? ` (${facts.join(', ')})` : ''}`);
    if (gpu.canRun.length) lines.push(`     └─ Can run: ${gpu.canRun.join(', ')}`);
  }
  if (hw.npus.length === 0) lines.push(absent(report, 'NPU', ['npu']));
  for (const npu of hw.npus) {
    lines.push(`  ${OK} NPU: ${npu.name}${npu.cores ? ` (${npu.cores} cores)` : ''}`);
    if (npu.canRun.length) lines.push(`     └─ Can run: ${npu.canRun.join(', ')}`);
  }
  const cpu = hw.cpu;
  const cores =
    cpu.physicalCores && cpu.physicalCores !== cpu.logicalCores
      ? `${cpu.physicalCores} cores, ${cpu.logicalCores} threads`
      : `${cpu.logicalCores} cores`;
  lines.push(
    `  ${OK} CPU: ${cpu.model} (${cpu.architecture}, ${cores}${cpu.features.length ? `; ${cpu.features.join(' ')}` : ''})`,
  );
  lines.push(`  ${OK} RAM: ${gb(hw.memory.totalBytes)} (${gb(hw.memory.availableBytes)} available)`);
  for (const disk of hw.storage) {
    lines.push(
      `  ${OK} Storage: ${disk.path} — ${gb(disk.freeBytes)} free of ${gb(disk.totalBytes)}${disk.filesystem ? ` (${disk.filesystem})` : ''}`,
    );
  }
  if (hw.cameras.length === 0) lines.push(absent(report, 'Camera', ['camera']));
  for (const cam of hw.cameras) {
    const res = cam.maxWidth && cam.maxHeight ? `, up to ${cam.maxWidth}x${cam.maxHeight}` : '';
    lines.push(`  ${OK} Camera: ${cam.name} (${cam.id}${res})`);
    lines.push('     └─ Can provide: snapshots');
  }
  if (hw.microphones.length === 0) lines.push(absent(report, 'Microphone', ['audio']));
  for (const mic of hw.microphones)
    lines.push(
      `  ${OK} Microphone: ${mic.name} (${mic.source} ${mic.id}${mic.isDefault ? ', default' : ''})`,
    );
  if (hw.speakers.length === 0) lines.push(absent(report, 'Speaker', ['audio']));
  for (const sp of hw.speakers)
    lines.push(`  ${OK} Speaker: ${sp.name} (${sp.source} ${sp.id}${sp.isDefault ? ', default' : ''})`);
  const power = hw.power;
  if (power.hasBattery) {
    const pct = power.batteryPercent === null ? '' : ` ${Math.round(power.batteryPercent)}%`;
    const state = power.charging === null ? '' : power.charging ? ', charging' : ', discharging';
    lines.push(
      `  ${OK} Power: ${power.source === 'battery' ? 'on battery' : power.source === 'ac' ? 'plugged in' : 'unknown source'}; battery${pct}${state}`,
    );
  } else {
    lines.push(`  ${OK} Power: ${power.source === 'ac' ? 'plugged in' : 'mains (no battery found)'}`);
  }
  return lines;
}

const SOURCE_NAMES: Record<string, { title: string; unit: string }> = {
  ollama: { title: 'Ollama', unit: 'model' },
  llamafarm: { title: 'LlamaFarm', unit: 'project' },
  huggingface: { title: 'HuggingFace cache', unit: 'model' },
  gguf: { title: 'GGUF files', unit: 'file' },
  transformers: { title: 'Transformers folders', unit: 'model' },
};

function modelLines(report: ScanReport): string[] {
  const lines: string[] = ['Models:'];
  for (const [source, { title, unit }] of Object.entries(SOURCE_NAMES)) {
    const found = report.models.filter((m) => m.source === source);
    const run = probe(report, source);
    if (found.length === 0) {
      if (run === undefined) continue;
      lines.push(absent(report, title, [source]));
      continue;
    }
    lines.push(`  ${OK} ${title}: ${found.length} ${unit}${found.length === 1 ? '' : 's'}`);
    lines.push(
      `     └─ ${list(found.map((m) => (m.kind === 'chat' || m.kind === 'rag' ? m.id : `${m.id} (${m.kind})`)))}`,
    );
    if (run?.detail && run.status === 'ok') lines.push(`     └─ ${run.detail}`);
  }
  return lines;
}

function serviceLines(report: ScanReport): string[] {
  const lines: string[] = ['Services:'];
  for (const s of report.services) {
    const where = s.url ?? (s.port === null ? s.source : `port ${s.port}`);
    lines.push(
      `  ${OK} ${s.name} (${where})${s.version ? ` v${s.version.replace(/^v/, '')}` : ''} — ${s.evidence}`,
    );
  }
  const ports = probe(report, 'ports');
  if (ports?.status === 'ok' && !report.services.some((s) => s.source === 'port')) {
    lines.push(`  ${NONE} Local ports: no known service answers${ports.detail ? ` (${ports.detail})` : ''}`);
  }
  for (const id of ['ports', 'docker', 'systemd']) {
    const run = probe(report, id);
    if (run && run.status !== 'ok')
      lines.push(
        absent(report, id === 'ports' ? 'Local ports' : id === 'docker' ? 'Docker' : 'systemd', [id]),
      );
  }
  if (
    !report.services.some((s) => s.kind === 'image-generation') &&
    !report.models.some((m) => m.kind === 'image-generation')
  ) {
    lines.push('  ⚠️  No image generation service detected');
  }
  if (lines.length === 1) lines.push(`  ${NONE} no known services found`);
  return lines;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function testLines(report: ScanReport): string[] {
  const lines: string[] = ['Capability Tests:'];
  if (!report.withTests) {
    lines.push('  (not run: `atmosphere scan --test` exercises what was found)');
    return lines;
  }
  for (const t of report.tests) {
    const mark = t.status === 'passed' ? OK : t.status === 'failed' ? FAIL : SKIP;
    const why = t.reason ? ` — ${t.status === 'skipped' ? 'skipped: ' : ''}${t.reason}` : '';
    lines.push(`  ${mark} ${t.label}${why} (${seconds(t.durationMs)})`);
  }
  return lines;
}

function recommendedLines(report: ScanReport): string[] {
  const lines: string[] = ['Recommended capabilities to expose:'];
  if (report.recommended.length === 0) {
    lines.push('  (none: nothing found here that this node can serve yet — start Ollama or LlamaFarm)');
  }
  for (const r of report.recommended) lines.push(`  - ${r.type} (via ${r.via.join(' + ')}): ${r.reason}`);
  const held = report.candidates.filter((c) => !c.recommended);
  if (held.length) {
    lines.push('', 'Not recommended:');
    for (const c of held) lines.push(`  - ${c.id} (${c.type}): ${c.reason}`);
  }
  return lines;
}

export function formatScanReport(report: ScanReport): string[] {
  return [
    ...hardwareLines(report),
    '',
    ...modelLines(report),
    '',
    ...serviceLines(report),
    '',
    ...testLines(report),
    '',
    ...recommendedLines(report),
    '',
    `Scanned ${report.hostname} (${report.platform}) in ${seconds(report.durationMs)} at ${new Date(report.scannedAtMs).toISOString()}.`,
  ];
}
