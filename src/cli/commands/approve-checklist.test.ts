import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../../core/index.js';
import { candidatesFor, recommendationsFor } from '../../scanner/index.js';
import { hardware, model } from '../../scanner/test-builders.js';
import type { ChecklistItem, ChecklistState, ChecklistView, KeyPress } from './approve-checklist.js';
import {
  LIST_HELP,
  REVIEW_HELP,
  clipText,
  initialChecklist,
  itemByKey,
  modeItem,
  pressKey,
  renderChecklist,
  selectedValue,
  toggleItem,
} from './approve-checklist.js';
import { GROUPS, checklistItems, choicesFromChecklist } from './approve-items.js';
import type { ApprovalChoices, MatterDeviceInfo } from './approve-plan.js';
import { withMatterCandidates } from './approve-plan.js';

const GIB = 1024 ** 3;

function fixtureScan(projects = 2): ScanReport {
  const hw = hardware({ gpuVramBytes: 24 * GIB, ramBytes: 64 * GIB });
  for (const [id, name] of [
    ['/dev/video0', 'Logitech C920'],
    ['/dev/video2', 'Integrated Camera'],
  ] as const) {
    hw.cameras.push({
      id,
      name,
      driver: null,
      bus: null,
      formats: [],
      maxWidth: null,
      maxHeight: null,
      source: 'sysfs',
    });
  }
  hw.microphones.push({ id: 'yeti', name: 'Blue Yeti', kind: 'microphone', source: 'alsa', isDefault: true });
  const models = [
    model({ id: 'llama3.2:3b' }),
    model({ id: 'codellama:34b', sizeBytes: 200 * GIB }),
    ...Array.from({ length: projects }, (_, i) =>
      model({ source: 'llamafarm', id: `default/project-${i}`, kind: 'rag', sizeBytes: null }),
    ),
    model({
      source: 'gguf',
      id: '~/models/tiny.gguf',
      name: 'TinyLlama',
      location: '/home/me/models/tiny.gguf',
    }),
  ];
  const candidates = candidatesFor({ hardware: hw, models, services: [], tests: [] });
  return {
    version: 1,
    scannedAtMs: 0,
    durationMs: 1,
    platform: 'linux-x64',
    hostname: 'box',
    withTests: false,
    hardware: hw,
    models,
    services: [],
    tests: [],
    candidates,
    recommended: recommendationsFor(candidates),
    probes: [],
  };
}

const baseChoices = (scan: ScanReport): ApprovalChoices => ({
  candidates: Object.fromEntries(scan.candidates.map((c) => [c.id, c.recommended])),
  hardware: { gpu: true, camera: false, microphone: false, speaker: false, location: false, screen: false },
  maxVramPercent: 80,
});

const key = (name: string, extra: Partial<KeyPress> = {}): KeyPress => ({ name, ...extra });
const press = (state: ChecklistState, ...names: string[]): ChecklistState =>
  names.reduce((s, n) => pressKey(s, key(n)), state);

function smallList(): ChecklistState {
  const items: ChecklistItem[] = [
    toggleItem({ key: 'a1', group: 'A', label: 'first' }, true),
    toggleItem({ key: 'a2', group: 'A', label: 'second' }, false),
    modeItem(
      { key: 'mode', group: 'B', label: 'Microphone' },
      [
        { value: 'false', label: 'off' },
        { value: 'transcription_only', label: 'transcription only' },
        { value: 'true', label: 'on' },
      ],
      'false',
    ),
    toggleItem({ key: 'b1', group: 'B', label: 'third' }, false),
  ];
  return initialChecklist(items);
}

describe('the checklist state machine', () => {
  it('moves with the arrows and j/k and stops at both ends', () => {
    let s = smallList();
    s = press(s, 'up');
    expect(s.cursor).toBe(0);
    s = press(s, 'down', 'j', 'down', 'down', 'j');
    expect(s.cursor).toBe(3);
    s = press(s, 'k', 'up');
    expect(s.cursor).toBe(1);
    expect(press(s, 'end').cursor).toBe(3);
    expect(press(s, 'home').cursor).toBe(0);
  });

  it('toggles a checkbox with space, and sets it with → and ←', () => {
    let s = press(smallList(), 'down', 'space');
    expect(itemByKey(s, 'a2')?.checked).toBe(true);
    s = press(s, 'space');
    expect(itemByKey(s, 'a2')?.checked).toBe(false);
    s = press(s, 'right', 'right');
    expect(itemByKey(s, 'a2')?.checked).toBe(true);
    s = press(s, 'left');
    expect(itemByKey(s, 'a2')?.checked).toBe(false);
  });

  it('cycles a mode forward with →, m and space and backward with ←, wrapping around', () => {
    let s = press(smallList(), 'down', 'down');
    const mode = (st: ChecklistState) => selectedValue(itemByKey(st, 'mode')!);
    s = press(s, 'right');
    expect(mode(s)).toBe('transcription_only');
    s = press(s, 'm');
    expect(mode(s)).toBe('true');
    s = press(s, 'space');
    expect(mode(s)).toBe('false');
    s = press(s, 'left');
    expect(mode(s)).toBe('true');
  });

  it('turns every toggle of the group on with a, and all off when they already are', () => {
    let s = press(smallList(), 'a');
    expect([itemByKey(s, 'a1')?.checked, itemByKey(s, 'a2')?.checked, itemByKey(s, 'b1')?.checked]).toEqual([
      true,
      true,
      false,
    ]);
    s = press(s, 'a');
    expect([itemByKey(s, 'a1')?.checked, itemByKey(s, 'a2')?.checked]).toEqual([false, false]);
    s = press(s, 'end', 'a');
    expect(itemByKey(s, 'b1')?.checked).toBe(true);
    expect(selectedValue(itemByKey(s, 'mode')!)).toBe('false');
  });

  it('opens the review with enter, goes back with n, and confirms with y', () => {
    let s = press(smallList(), 'down', 'space', 'return');
    expect(s.screen).toBe('review');
    s = press(s, 'space', 'j');
    expect(s.cursor).toBe(1);
    expect(itemByKey(s, 'a2')?.checked).toBe(true);
    s = press(s, 'n');
    expect(s.screen).toBe('list');
    expect(s.outcome).toBe('editing');
    s = press(s, 'return', 'y');
    expect(s.outcome).toBe('confirmed');
    expect(press(s, 'space')).toBe(s);
  });

  it('keeps a parent toggle on exactly while one of its children is on', () => {
    const items: ChecklistItem[] = [
      toggleItem({ key: 'p', group: 'P', label: 'parent' }, true),
      toggleItem({ key: 'c1', group: 'P', label: 'one', parent: 'p' }, true),
      toggleItem({ key: 'c2', group: 'P', label: 'two', parent: 'p' }, false),
      toggleItem({ key: 'q', group: 'P', label: 'sibling' }, false),
    ];
    const checked = (st: ChecklistState) => st.items.map((i) => i.checked);
    let s = press(initialChecklist(items), 'down', 'space');
    expect(checked(s)).toEqual([false, false, false, false]);
    s = press(s, 'down', 'right');
    expect(checked(s)).toEqual([true, false, true, false]);
    s = press(s, 'home', 'space');
    expect(checked(s)).toEqual([false, false, false, false]);
    s = press(s, 'm');
    expect(checked(s)).toEqual([true, true, true, false]);
    s = press(s, 'down', 'left');
    expect(checked(s)).toEqual([true, false, true, false]);
    s = press(s, 'end', 'space', 'space');
    expect(checked(s)).toEqual([true, false, true, false]);
    const lines = renderChecklist(s, {
      width: 80,
      height: 20,
      color: false,
      cursor: false,
      title: [],
      review: [],
    });
    expect(lines).toEqual([
      '',
      'P (1 of 2 on)',
      '  [x] parent',
      '    [ ] one',
      '    [x] two',
      '  [ ] sibling',
    ]);
  });

  it('aborts with q or Ctrl-C from the list and from the review', () => {
    expect(press(smallList(), 'q').outcome).toBe('aborted');
    expect(pressKey(smallList(), key('c', { ctrl: true })).outcome).toBe('aborted');
    expect(pressKey(press(smallList(), 'return'), key('c', { ctrl: true })).outcome).toBe('aborted');
    expect(press(smallList(), 'return', 'q').outcome).toBe('aborted');
    expect(press(smallList(), 'y').outcome).toBe('editing');
  });
});

describe('the approve checklist', () => {
  const scan = fixtureScan();

  it('lists the GPU with its purposes and VRAM cap, each model, the project, model files and the devices', () => {
    const items = checklistItems(scan, baseChoices(scan));
    expect(items.map((i) => `${i.group} | ${i.label}`)).toEqual([
      `${GROUPS.gpu} | GPU: NVIDIA GeForce RTX 4090 (24.0 GB)`,
      `${GROUPS.gpu} | expose for inference`,
      `${GROUPS.gpu} | expose for training`,
      `${GROUPS.gpu} | expose for image generation`,
      `${GROUPS.gpu} | Mesh work may use up to`,
      `${GROUPS.ollama} | llama3.2:3b`,
      `${GROUPS.ollama} | codellama:34b`,
      `${GROUPS.llamafarm} | default/project-0`,
      `${GROUPS.llamafarm} | default/project-1`,
      `${GROUPS.files} | ~/models/tiny.gguf`,
      `${GROUPS.devices} | Camera: Logitech C920; Integrated Camera`,
      `${GROUPS.devices} | Microphone: Blue Yeti`,
      `${GROUPS.devices} | Speaker (none detected)`,
      `${GROUPS.devices} | Location`,
      `${GROUPS.devices} | Screen`,
    ]);
    expect(items.find((i) => i.label === 'codellama:34b')).toMatchObject({ checked: false });
    expect(items.find((i) => i.label === 'codellama:34b')?.note).toMatch(/^too large/);
    expect(items.find((i) => i.label === '~/models/tiny.gguf')?.note).toMatch(
      /nothing on this node serves it yet/,
    );
    expect(items.find((i) => i.key === 'hardware:microphone')?.options?.map((o) => o.label)).toEqual([
      'off',
      'transcription only',
      'on',
    ]);
  });

  it('pre-selects modes from the choices, keeping a mode the three options do not name', () => {
    const items = checklistItems(scan, {
      ...baseChoices(scan),
      hardware: { ...baseChoices(scan).hardware, microphone: 'whisper_only' },
      maxVramPercent: 65,
    });
    const mic = items.find((i) => i.key === 'hardware:microphone')!;
    expect(mic.options?.[mic.selected]?.label).toBe('Whisper transcription only');
    const vram = items.find((i) => i.key === 'limit:max_vram_percent')!;
    expect(vram.options?.[vram.selected]?.label).toBe('65% of VRAM');
  });

  it('reads choices back: a device follows its switch only when the owner changed that switch', () => {
    const base: ApprovalChoices = {
      ...baseChoices(scan),
      hardware: { ...baseChoices(scan).hardware, camera: true },
      candidates: { ...baseChoices(scan).candidates, 'camera/video0': true, 'camera/video2': false },
    };
    let s = initialChecklist(checklistItems(scan, base));
    const untouched = choicesFromChecklist(s, base, scan);
    expect(untouched.candidates['camera/video2']).toBe(false);

    const at = (k: string) => s.items.findIndex((i) => i.key === k);
    s = { ...s, cursor: at('hardware:camera') };
    s = press(s, 'space', 'space');
    expect(choicesFromChecklist(s, base, scan).candidates['camera/video2']).toBe(false);
    s = press(s, 'space');
    const off = choicesFromChecklist(s, base, scan);
    expect(off.hardware.camera).toBe(false);
    expect(off.candidates['camera/video0']).toBe(false);

    s = { ...s, cursor: at('hardware:microphone') };
    s = press(s, 'm');
    s = { ...s, cursor: at('limit:max_vram_percent') };
    s = press(s, 'left', 'left');
    s = { ...s, cursor: at('candidate:ollama/codellama:34b') };
    s = press(s, 'space');
    const changed = choicesFromChecklist(s, base, scan);
    expect(changed.hardware.microphone).toBe('transcription_only');
    expect(changed.candidates['microphone/yeti']).toBe(true);
    expect(changed.maxVramPercent).toBe(60);
    expect(changed.candidates['ollama/codellama:34b']).toBe(true);
  });
});

describe('the GPU purposes', () => {
  const scan = fixtureScan();
  const withGpu = (gpu: ApprovalChoices['hardware']['gpu']): ApprovalChoices => ({
    ...baseChoices(scan),
    hardware: { ...baseChoices(scan).hardware, gpu },
  });
  const purposesOf = (st: ChecklistState) =>
    ['hardware:gpu', 'gpu:inference', 'gpu:training', 'gpu:image_generation'].map(
      (k) => itemByKey(st, k)?.checked,
    );
  const at = (st: ChecklistState, k: string): ChecklistState => ({
    ...st,
    cursor: st.items.findIndex((i) => i.key === k),
  });

  it('ticks each purpose as the GPU setting says, in either form', () => {
    const partial = initialChecklist(
      checklistItems(scan, withGpu({ inference: true, training: false, image_generation: true })),
    );
    expect(purposesOf(partial)).toEqual([true, true, false, true]);
    expect(purposesOf(initialChecklist(checklistItems(scan, withGpu(true))))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(purposesOf(initialChecklist(checklistItems(scan, withGpu(false))))).toEqual([
      false,
      false,
      false,
      false,
    ]);
  });

  it('reads the purposes back as the object only when some are on and some off', () => {
    const base = withGpu({ inference: true, training: true, image_generation: false });
    let s = initialChecklist(checklistItems(scan, base));
    expect(choicesFromChecklist(s, base, scan).hardware.gpu).toEqual({
      inference: true,
      training: true,
      image_generation: false,
    });
    s = press(at(s, 'gpu:image_generation'), 'space');
    expect(choicesFromChecklist(s, base, scan).hardware.gpu).toBe(true);
    s = press(at(s, 'gpu:training'), 'space');
    expect(choicesFromChecklist(s, base, scan).hardware.gpu).toEqual({
      inference: true,
      training: false,
      image_generation: true,
    });
    s = press(at(s, 'hardware:gpu'), 'space');
    const off = choicesFromChecklist(s, base, scan);
    expect(off.hardware.gpu).toBe(false);
    expect(off.candidates['gpu/0']).toBe(false);
    s = press(s, 'space');
    const on = choicesFromChecklist(s, base, scan);
    expect(on.hardware.gpu).toBe(true);
    expect(on.candidates['gpu/0']).toBe(true);
    s = press(at(s, 'gpu:inference'), 'space');
    s = press(at(s, 'gpu:training'), 'space');
    s = press(at(s, 'gpu:image_generation'), 'space');
    expect(itemByKey(s, 'hardware:gpu')?.checked).toBe(false);
    expect(choicesFromChecklist(s, base, scan).hardware.gpu).toBe(false);
  });
});

describe('the checklist screen', () => {
  const view = (over: Partial<ChecklistView> = {}): ChecklistView => ({
    width: 100,
    height: 40,
    color: false,
    title: ['Atmosphere · approve'],
    review: ['Will expose (1):', '  llama3.2:3b'],
    ...over,
  });

  it('marks the cursor, counts each group and shows the GPU purposes indented under the GPU', () => {
    const scan = fixtureScan();
    const s = press(
      initialChecklist(checklistItems(scan, baseChoices(scan))),
      'down',
      'down',
      'down',
      'down',
    );
    const lines = renderChecklist(s, view());
    expect(lines.slice(0, 3)).toEqual(['Atmosphere · approve', LIST_HELP, '']);
    expect(lines).toContain('> Mesh work may use up to: ◂ 80% of VRAM ▸  limits.max_vram_percent');
    expect(lines.slice(3, 8)).toEqual([
      GROUPS.gpu,
      '  [x] GPU: NVIDIA GeForce RTX 4090 (24.0 GB)  can run 70B models (Q4), image generation (SDXL)',
      '    [x] expose for inference  chat, completions, embeddings, transcription on local models',
      '    [x] expose for training  training and fine-tuning work',
      '    [x] expose for image generation  vision/generate capabilities',
    ]);
    expect(lines).toContain(`${GROUPS.ollama} (1 of 2 on)`);
    const off = renderChecklist(press(s, 'home', 'space'), view());
    expect(off).toContain(
      '    [ ] expose for inference  chat, completions, embeddings, transcription on local models',
    );
    const styled = renderChecklist(s, view({ color: true }));
    expect(styled.join('\n')).toContain('\u001b[7m> Mesh work may use up to');
  });

  it('scrolls a long list to keep the cursor in view and says how much is hidden', () => {
    const scan = fixtureScan(100);
    let s = initialChecklist(checklistItems(scan, baseChoices(scan)));
    s = press(s, ...Array.from({ length: 63 }, () => 'down'));
    const lines = renderChecklist(s, view({ height: 20 }));
    expect(lines).toHaveLength(20);
    expect(lines.some((l) => l.startsWith('> [x] default/project-56'))).toBe(true);
    expect(lines[3]).toMatch(/^ {2}↑ \d+ more$/);
    expect(lines[19]).toMatch(/^ {2}↓ \d+ more$/);
    const top = renderChecklist(press(s, 'home'), view({ height: 20 }));
    expect(top[3]).toBe('');
    expect(top[4]).toBe(GROUPS.gpu);
  });

  it('cuts lines to the terminal width so nothing wraps', () => {
    const scan = fixtureScan();
    const lines = renderChecklist(
      initialChecklist(checklistItems(scan, baseChoices(scan))),
      view({ width: 40 }),
    );
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(40);
    expect(clipText('abcdef', 4)).toBe('abc…');
    expect(clipText('abc', 4)).toBe('abc');
  });

  it('shows the review with the y/n question, shortened to fit', () => {
    const s = press(smallList(), 'return');
    expect(renderChecklist(s, view())).toEqual([
      'Atmosphere · approve',
      '',
      'Will expose (1):',
      '  llama3.2:3b',
      '',
      REVIEW_HELP,
    ]);
    const long = renderChecklist(
      s,
      view({ height: 8, review: Array.from({ length: 30 }, (_, i) => `line ${i}`) }),
    );
    expect(long).toHaveLength(8);
    expect(long[5]).toBe('… 27 more lines');
    expect(long[7]).toBe(REVIEW_HELP);
  });

  it('prints without a cursor or key help for a copy outside a terminal', () => {
    const lines = renderChecklist(smallList(), view({ cursor: false }));
    expect(lines).not.toContain(LIST_HELP);
    expect(lines).toContain('  [x] first');
    expect(lines.some((l) => l.startsWith('>'))).toBe(false);
  });
});

describe('the Matter group', () => {
  const devices: MatterDeviceInfo[] = [
    {
      id: 'peer3',
      label: 'Kitchen light',
      room: 'kitchen',
      vendor: null,
      product: 'Bulb',
      capabilities: [{ id: 'matter/kitchen-light-peer3', type: 'iot/light', tools: ['on'], triggers: [] }],
    },
    {
      id: 'peer5',
      label: 'Power strip',
      room: null,
      vendor: null,
      product: null,
      capabilities: [
        { id: 'matter/power-strip-peer5-ep1', type: 'iot/plug', tools: ['on'], triggers: [] },
        { id: 'matter/power-strip-peer5-ep2', type: 'iot/plug', tools: ['on'], triggers: [] },
      ],
    },
    { id: 'peer6', label: 'Bridge', room: null, vendor: null, product: null, capabilities: [] },
  ];
  const scan = withMatterCandidates(fixtureScan(), devices)!;
  const choices = (exposed: Record<string, boolean> = {}): ApprovalChoices => {
    const base = baseChoices(scan);
    return { ...base, candidates: { ...base.candidates, ...exposed } };
  };

  it('is absent when the node lists no Matter devices', () => {
    const plain = fixtureScan();
    expect(checklistItems(plain, baseChoices(plain)).some((i) => i.group === GROUPS.matter)).toBe(false);
  });

  it('lists one toggle per device with capabilities, private by default, after the local devices', () => {
    const items = checklistItems(scan, choices(), devices);
    const matter = items.filter((i) => i.group === GROUPS.matter);
    expect(matter.map((i) => [i.key, i.label, i.checked])).toEqual([
      ['matter:peer3', 'Kitchen light (kitchen)', false],
      ['matter:peer5', 'Power strip', false],
    ]);
    expect(matter[1]?.note).toBe(
      'matter/power-strip-peer5-ep1 (iot/plug), matter/power-strip-peer5-ep2 (iot/plug)',
    );
    expect(items.at(-3)?.group).toBe(GROUPS.devices);
    // their capabilities are not listed again as other findings
    expect(items.some((i) => i.key.startsWith('candidate:matter/'))).toBe(false);
  });

  it('shows a device on when the owner already allowed all its capabilities', () => {
    const items = checklistItems(
      scan,
      choices({ 'matter/power-strip-peer5-ep1': true, 'matter/power-strip-peer5-ep2': true }),
      devices,
    );
    expect(items.find((i) => i.key === 'matter:peer5')?.checked).toBe(true);
    expect(items.find((i) => i.key === 'matter:peer3')?.checked).toBe(false);
  });

  it('turns all capabilities of a toggled device on, and leaves untouched devices as they were', () => {
    const base = choices({ 'matter/power-strip-peer5-ep1': true });
    const start = initialChecklist(checklistItems(scan, base, devices));
    const at = start.items.findIndex((i) => i.key === 'matter:peer3');
    const toggled = pressKey({ ...start, cursor: at }, key('space'));
    const next = choicesFromChecklist(toggled, base, scan, devices);
    expect(next.candidates['matter/kitchen-light-peer3']).toBe(true);
    // the strip's toggle was not touched: one endpoint stays exposed, the other private
    expect(next.candidates['matter/power-strip-peer5-ep1']).toBe(true);
    expect(next.candidates['matter/power-strip-peer5-ep2']).toBe(false);
    const strip = start.items.findIndex((i) => i.key === 'matter:peer5');
    const both = choicesFromChecklist(
      pressKey({ ...start, cursor: strip }, key('space')),
      base,
      scan,
      devices,
    );
    expect(both.candidates['matter/power-strip-peer5-ep2']).toBe(true);
  });
});
