// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { PhoneRequestRecord } from '../contract.js';
import { CONNECTED, FakePhoneMesh } from '../testing.js';
import { RequestsScreen } from './requests.js';

afterEach(cleanup);

const record = (fields: Partial<PhoneRequestRecord>): PhoneRequestRecord => ({
  id: 'r1',
  atMs: Date.now(),
  requester: '12D3KooWLaptop',
  requesterName: 'laptop',
  capability: 'phone/camera',
  tool: 'take_photo',
  decision: 'allowed',
  detail: null,
  durationMs: 812,
  ...fields,
});

describe('Recent requests screen', () => {
  it('lists the runtime requests and adds new ones live, newest first', () => {
    const mesh = new FakePhoneMesh(CONNECTED);
    mesh.addRequest(record({}));
    render(<RequestsScreen mesh={mesh} />);
    act(() =>
      mesh.addRequest(
        record({
          id: 'r2',
          requesterName: 'gpu-box',
          capability: 'phone/microphone',
          tool: 'start_recording',
          decision: 'refused',
          detail: 'phone/microphone is not shared on this phone',
          durationMs: null,
        }),
      ),
    );
    const items = screen.getAllByRole('listitem');
    expect(items).toHaveLength(2);
    expect(items[0]?.textContent).toContain('gpu-box');
    expect(items[0]?.textContent).toContain('phone/microphone · start_recording');
    expect(items[0]?.textContent).toContain('refused · phone/microphone is not shared on this phone');
    expect(items[0]?.className).toContain('refused');
    expect(items[1]?.textContent).toContain('laptop');
    expect(items[1]?.textContent).toContain('allowed · 812 ms');
  });

  it('explains the empty list', () => {
    render(<RequestsScreen mesh={new FakePhoneMesh(CONNECTED)} />);
    expect(screen.getByText(/No requests yet/)).toBeTruthy();
  });
});
