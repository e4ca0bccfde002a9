import type { ReactElement } from 'react';
import { useId, useState } from 'react';

/**
 * A list of strings (globs, mesh ids) the owner adds to and removes from. `describe` may add words
 * to an entry (a mesh's name); `error` is shown under the list and announced.
 */
export function GlobList(props: {
  label: string;
  values: readonly string[];
  onChange: (values: string[]) => void;
  placeholder?: string;
  describe?: (value: string) => string | null;
  error?: string | null;
}): ReactElement {
  const id = useId();
  const [draft, setDraft] = useState('');
  const add = (): void => {
    const value = draft.trim();
    if (value === '') return;
    if (!props.values.includes(value)) props.onChange([...props.values, value]);
    setDraft('');
  };
  return (
    <div className="glob-list" role="group" aria-labelledby={`${id}-label`}>
      <span id={`${id}-label`} className="field-label">
        {props.label}
      </span>
      <ul>
        {props.values.length === 0 && <li className="muted">none</li>}
        {props.values.map((value) => {
          const about = props.describe?.(value) ?? (value === '*' ? 'all' : null);
          return (
            <li key={value}>
              <code>{value}</code>
              {about && <span className="muted"> ({about})</span>}{' '}
              <button
                type="button"
                className="link"
                aria-label={`Remove ${value} from ${props.label}`}
                onClick={() => props.onChange(props.values.filter((v) => v !== value))}
              >
                Remove
              </button>
            </li>
          );
        })}
      </ul>
      <div className="add-row">
        <input
          id={`${id}-input`}
          aria-label={`Add to ${props.label}`}
          value={draft}
          placeholder={props.placeholder}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" className="secondary" onClick={add}>
          Add
        </button>
      </div>
      {props.error && (
        <p className="field-error" role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}
