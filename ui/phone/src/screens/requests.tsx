/** Recent requests: what the mesh asked of this phone, who asked, and whether it was allowed. */
import type { ReactElement } from 'react';
import { useEffect, useState } from 'react';
import { ScreenTitle } from '../app.js';
import type { PhoneMesh, PhoneRequestRecord } from '../contract.js';
import { shortId, timeText } from '../format.js';

/** At most this many requests are listed. */
export const MAX_REQUESTS_SHOWN = 100;

export function RequestsScreen(props: { mesh: PhoneMesh }): ReactElement {
  const { mesh } = props;
  const [records, setRecords] = useState<readonly PhoneRequestRecord[]>(() => mesh.recentRequests());

  useEffect(() => {
    setRecords(mesh.recentRequests());
    return mesh.onRequest((record) =>
      setRecords((all) => [record, ...all.filter((r) => r.id !== record.id)].slice(0, MAX_REQUESTS_SHOWN)),
    );
  }, [mesh]);

  const nowMs = Date.now();
  return (
    <>
      <ScreenTitle>Recent requests</ScreenTitle>
      {records.length === 0 ? (
        <p className="muted">No requests yet. When members use what this phone shares, they show here.</p>
      ) : (
        <ul className="requests">
          {records.slice(0, MAX_REQUESTS_SHOWN).map((r) => (
            <li key={r.id} className={`request ${r.decision}`}>
              <div className="request-head">
                <strong>{r.requesterName || shortId(r.requester)}</strong>
                <time className="muted small" dateTime={new Date(r.atMs).toISOString()}>
                  {timeText(r.atMs, nowMs)}
                </time>
              </div>
              <div>
                <code>{r.capability}</code>
                {r.tool !== null && <> · {r.tool}</>}
              </div>
              <div className="request-outcome">
                <span className={`decision ${r.decision}`}>{r.decision}</span>
                {r.durationMs !== null && (
                  <span className="muted small"> · {Math.round(r.durationMs)} ms</span>
                )}
                {r.detail !== null && <span className="detail"> · {r.detail}</span>}
              </div>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
