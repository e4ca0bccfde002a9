/**
 * The interactive checklist of `atmosphere approve` as a pure state machine: items in groups
 * (toggles and modes), a cursor, key presses in, a new state out; and the screen as lines of text
 * for a given terminal size. The terminal itself (raw mode, redraws) lives in approve.ts, so these
 * are tested by feeding key events, without a terminal.
 *
 * A toggle may sit under another (the GPU's purposes under the GPU): the parent is on exactly while
 * one of its children is. Turning the parent off turns its children off, turning it on with none of
 * them on turns them all on, and turning a child on or the last one off carries the parent along.
 */

export interface ChecklistOption {
  /** What the option stands for in config (`transcription_only`, `80`). */
  readonly value: string;
  readonly label: string;
}

export interface ChecklistItem {
  /** `candidate:ollama/llama3.2:3b`, `hardware:camera`, `limit:max_vram_percent`. */
  readonly key: string;
  /** The heading it is listed under (`GPU`, `Ollama models` ...). */
  readonly group: string;
  readonly label: string;
  /** Shown dimmed after the label: the scanner's reason, what a device is. */
  readonly note: string;
  /** A toggle's state. */
  readonly checked: boolean;
  /** A mode's choices; null for a toggle. */
  readonly options: readonly ChecklistOption[] | null;
  readonly selected: number;
  /** Extra lines under the item; `{mark}` becomes its checkbox (`[x]` or `[ ]`). */
  readonly details: readonly string[];
  /** The key of the toggle this toggle belongs under (shown indented below it); null for none. */
  readonly parent: string | null;
}

export type ChecklistScreen = 'list' | 'review';
export type ChecklistOutcome = 'editing' | 'confirmed' | 'aborted';

export interface ChecklistState {
  readonly items: readonly ChecklistItem[];
  readonly cursor: number;
  readonly screen: ChecklistScreen;
  readonly outcome: ChecklistOutcome;
}

/** A key as node's `readline.emitKeypressEvents` reports it. */
export interface KeyPress {
  readonly name?: string | undefined;
  readonly sequence?: string | undefined;
  readonly ctrl?: boolean | undefined;
  readonly meta?: boolean | undefined;
  readonly shift?: boolean | undefined;
}

export function toggleItem(
  init: Pick<ChecklistItem, 'key' | 'group' | 'label'> &
    Partial<Pick<ChecklistItem, 'note' | 'details' | 'parent'>>,
  checked: boolean,
): ChecklistItem {
  return { note: '', details: [], parent: null, ...init, checked, options: null, selected: 0 };
}

export function modeItem(
  init: Pick<ChecklistItem, 'key' | 'group' | 'label'> & Partial<Pick<ChecklistItem, 'note' | 'details'>>,
  options: readonly ChecklistOption[],
  value: string,
): ChecklistItem {
  const selected = Math.max(
    0,
    options.findIndex((o) => o.value === value),
  );
  return { note: '', details: [], parent: null, ...init, checked: false, options, selected };
}

export function initialChecklist(items: readonly ChecklistItem[]): ChecklistState {
  return { items, cursor: 0, screen: 'list', outcome: 'editing' };
}

/** The value a mode item has selected, or null for a toggle. */
export function selectedValue(item: ChecklistItem): string | null {
  return item.options?.[item.selected]?.value ?? null;
}

/** The item with this key (they are unique). */
export function itemByKey(state: ChecklistState, key: string): ChecklistItem | undefined {
  return state.items.find((i) => i.key === key);
}

function replaceItem(state: ChecklistState, index: number, item: ChecklistItem): ChecklistState {
  const items = state.items.slice();
  items[index] = item;
  return { ...state, items };
}

/** Sets a toggle, carrying its children (or its parent) along so that a parent is on iff a child is. */
function setChecked(state: ChecklistState, index: number, checked: boolean): ChecklistState {
  const item = state.items[index];
  if (item === undefined || item.options !== null) return state;
  const items = state.items.slice();
  items[index] = { ...item, checked };
  const isChild = (i: ChecklistItem, parent: string): boolean => i.parent === parent && i.options === null;
  const children = items.filter((i) => isChild(i, item.key));
  if (children.length > 0 && (!checked || !children.some((c) => c.checked))) {
    items.forEach((i, at) => {
      if (isChild(i, item.key)) items[at] = { ...i, checked };
    });
  }
  if (item.parent !== null) {
    const at = items.findIndex((i) => i.key === item.parent && i.options === null);
    const parent = items[at];
    if (parent !== undefined) {
      const parentKey = parent.key;
      items[at] = { ...parent, checked: items.some((i) => isChild(i, parentKey) && i.checked) };
    }
  }
  return { ...state, items };
}

function cycle(item: ChecklistItem, step: number): ChecklistItem {
  const count = item.options?.length ?? 0;
  if (count === 0) return item;
  return { ...item, selected: (item.selected + step + count) % count };
}

function isQuit(key: KeyPress): boolean {
  return (key.ctrl === true && (key.name === 'c' || key.name === 'd')) || key.name === 'q';
}

/** One key press: the new state (the old one is never changed). */
export function pressKey(state: ChecklistState, key: KeyPress): ChecklistState {
  if (state.outcome !== 'editing') return state;
  if (isQuit(key)) return { ...state, outcome: 'aborted' };
  if (state.screen === 'review') {
    if (key.name === 'y') return { ...state, outcome: 'confirmed' };
    if (key.name === 'n' || key.name === 'escape' || key.name === 'backspace' || key.name === 'left')
      return { ...state, screen: 'list' };
    return state;
  }
  const last = state.items.length - 1;
  const item = state.items[state.cursor];
  switch (key.name) {
    case 'up':
    case 'k':
      return { ...state, cursor: Math.max(0, state.cursor - 1) };
    case 'down':
    case 'j':
      return { ...state, cursor: Math.max(0, Math.min(last, state.cursor + 1)) };
    case 'home':
      return { ...state, cursor: 0 };
    case 'end':
      return { ...state, cursor: Math.max(0, last) };
    case 'pageup':
      return { ...state, cursor: Math.max(0, state.cursor - 10) };
    case 'pagedown':
      return { ...state, cursor: Math.max(0, Math.min(last, state.cursor + 10)) };
    case 'return':
    case 'enter':
      return { ...state, screen: 'review' };
    case 'a':
      return item === undefined ? state : toggleGroup(state, item.group);
    default:
      break;
  }
  if (item === undefined) return state;
  const isMode = item.options !== null;
  switch (key.name) {
    case 'space':
    case 'm':
      return isMode
        ? replaceItem(state, state.cursor, cycle(item, 1))
        : setChecked(state, state.cursor, !item.checked);
    case 'right':
    case 'l':
      return isMode
        ? replaceItem(state, state.cursor, cycle(item, 1))
        : setChecked(state, state.cursor, true);
    case 'left':
    case 'h':
      return isMode
        ? replaceItem(state, state.cursor, cycle(item, -1))
        : setChecked(state, state.cursor, false);
    default:
      return state;
  }
}

/** `a`: every toggle in the group on, or all off when they already all are on. */
function toggleGroup(state: ChecklistState, group: string): ChecklistState {
  const toggles = state.items.filter((i) => i.group === group && i.options === null);
  if (toggles.length === 0) return state;
  const target = !toggles.every((i) => i.checked);
  return {
    ...state,
    items: state.items.map((i) => (i.group === group && i.options === null ? { ...i, checked: target } : i)),
  };
}

// ---- the screen ----------------------------------------------------------------------------------

export interface ChecklistView {
  readonly width: number;
  readonly height: number;
  /** ANSI styles (bold headings, inverse cursor, dim notes). */
  readonly color: boolean;
  /** Lines above the list (title, where the scan came from). */
  readonly title: readonly string[];
  /** What the review screen shows (the summary), computed by the caller from the items. */
  readonly review: readonly string[];
  /** Mark the cursor (false for a printed, non-interactive copy). */
  readonly cursor?: boolean;
}

export const LIST_HELP = '↑/↓ move · space toggle · ←/→ or m mode · a all in group · enter review · q quit';
export const REVIEW_HELP = 'y write config.yaml · n back to the list · q quit without writing';

const ESC = '\u001b[';
const style = (on: boolean, code: string, text: string): string =>
  on && text !== '' ? `${ESC}${code}m${text}${ESC}0m` : text;

/** Cuts `text` to `width` characters (code points), marking the cut with `…`. */
export function clipText(text: string, width: number): string {
  const chars = [...text];
  if (chars.length <= width) return text;
  return width <= 1 ? chars.slice(0, width).join('') : `${chars.slice(0, width - 1).join('')}…`;
}

interface Row {
  readonly text: string;
  readonly note: string;
  readonly kind: 'heading' | 'item' | 'detail';
  readonly itemIndex: number;
}

function itemText(item: ChecklistItem, cursor: boolean, marked: boolean): string {
  const pointer = `${marked && cursor ? '> ' : '  '}${item.parent === null ? '' : '  '}`;
  if (item.options === null) return `${pointer}[${item.checked ? 'x' : ' '}] ${item.label}`;
  const value = item.options[item.selected]?.label ?? '';
  return `${pointer}${item.label}: ◂ ${value} ▸`;
}

function groupHeading(items: readonly ChecklistItem[], group: string): string {
  const members = items.filter((i) => i.group === group && i.parent === null);
  const toggles = members.filter((i) => i.options === null);
  return toggles.length > 1
    ? `${group} (${toggles.filter((i) => i.checked).length} of ${toggles.length} on)`
    : group;
}

function rowsOf(state: ChecklistState, marked: boolean): Row[] {
  const rows: Row[] = [];
  let group: string | null = null;
  state.items.forEach((item, index) => {
    if (item.group !== group) {
      group = item.group;
      rows.push({ text: groupHeading(state.items, item.group), note: '', kind: 'heading', itemIndex: index });
    }
    rows.push({
      text: itemText(item, index === state.cursor, marked),
      note: item.note,
      kind: 'item',
      itemIndex: index,
    });
    for (const detail of item.details) {
      const text = detail.replaceAll('{mark}', item.checked ? '[x]' : '[ ]');
      rows.push({ text: `      ${text}`, note: '', kind: 'detail', itemIndex: index });
    }
  });
  return rows;
}

function renderRow(row: Row, state: ChecklistState, view: ChecklistView, marked: boolean): string {
  const text = clipText(row.text, view.width);
  const room = view.width - [...text].length - 2;
  const note = row.note !== '' && room > 8 ? clipText(row.note, room) : '';
  const isCursor = marked && row.kind === 'item' && row.itemIndex === state.cursor;
  const main =
    row.kind === 'heading'
      ? style(view.color, '1', text)
      : row.kind === 'detail'
        ? style(view.color, '2', text)
        : isCursor
          ? style(view.color, '7', text)
          : text;
  return note === '' ? main : `${main}  ${style(view.color, '2', note)}`;
}

/** The list screen: title, help, the rows that fit (scrolled to keep the cursor in view). */
function renderList(state: ChecklistState, view: ChecklistView): string[] {
  const marked = view.cursor !== false;
  const help = marked ? [clipText(LIST_HELP, view.width)] : [];
  const head = [...view.title.map((t) => clipText(t, view.width)), ...help, ''];
  const rows = rowsOf(state, marked);
  const room = Math.max(3, view.height - head.length);
  if (rows.length <= room) {
    return [...head, ...rows.map((r) => renderRow(r, state, view, marked))];
  }
  // keep the cursor's item (and its heading when it is the first of its group) in view
  const cursorRow = rows.findIndex((r) => r.kind === 'item' && r.itemIndex === state.cursor);
  const body = room - 2; // one line each for "more above" and "more below"
  let start = Math.max(0, cursorRow - Math.floor(body / 2));
  start = Math.min(start, rows.length - body);
  const shown = rows.slice(start, start + body);
  const above = start;
  const below = rows.length - start - shown.length;
  return [
    ...head,
    style(view.color, '2', above > 0 ? `  ↑ ${above} more` : ''),
    ...shown.map((r) => renderRow(r, state, view, marked)),
    style(view.color, '2', below > 0 ? `  ↓ ${below} more` : ''),
  ];
}

/** The review screen: the caller's summary, cut to fit, and the y/n question. */
function renderReview(view: ChecklistView): string[] {
  const head = [...view.title.map((t) => clipText(t, view.width)), ''];
  const foot = ['', clipText(REVIEW_HELP, view.width)];
  const room = Math.max(1, view.height - head.length - foot.length);
  let body = view.review.map((l) => clipText(l, view.width));
  if (body.length > room) body = [...body.slice(0, room - 1), `… ${body.length - room + 1} more lines`];
  return [...head, ...body, ...foot];
}

/** The screen for `state` as lines (no trailing newlines), at most `view.height` of them. */
export function renderChecklist(state: ChecklistState, view: ChecklistView): string[] {
  return state.screen === 'review' ? renderReview(view) : renderList(state, view);
}
