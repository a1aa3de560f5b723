/** Filter controls bound to the query string, text inputs committed after a short pause. */
import { useEffect, useRef, useState, type ReactNode } from 'react';

/**
 * A text filter committed 300 ms after typing stops, or at once on Enter. A pending commit is
 * dropped when the value changes from outside (a "Clear filters" button, the back button): typing
 * that was overtaken must not come back a moment later.
 */
export function TextFilter({ label, value, onChange, placeholder, inputMode, width, invalid, errorId }: {
  label: string; value: string; onChange: (v: string) => void; placeholder?: string; inputMode?: 'numeric' | 'text'; width?: string;
  /** Marks the input invalid and ties it to the message with this id. */
  invalid?: boolean; errorId?: string;
}) {
  const [text, setText] = useState(value);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    clearTimeout(timer.current);
    setText(value);
  }, [value]);
  useEffect(() => () => clearTimeout(timer.current), []);
  const commit = (v: string): void => {
    clearTimeout(timer.current);
    if (v.trim() !== value) onChange(v.trim());
  };
  return (
    <label className="filter" style={width ? { width } : undefined}>
      <span>{label}</span>
      <input type="search" value={text} placeholder={placeholder} inputMode={inputMode}
        onChange={(e) => {
          const v = e.target.value;
          setText(v);
          clearTimeout(timer.current);
          timer.current = setTimeout(() => commit(v), 300);
        }}
        aria-invalid={invalid || undefined} aria-describedby={invalid && errorId ? errorId : undefined}
        onKeyDown={(e) => { if (e.key === 'Enter') commit(text); }} />
    </label>
  );
}

export function SelectFilter({ label, value, onChange, options }: {
  label: string; value: string; onChange: (v: string) => void; options: readonly (readonly [string, string])[];
}) {
  return (
    <label className="filter">
      <span>{label}</span>
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {options.map(([v, l]) => <option key={v} value={v}>{l}</option>)}
      </select>
    </label>
  );
}

export function FilterBar({ children, label }: { children: ReactNode; label: string }) {
  return <div className="filters" role="search" aria-label={label}>{children}</div>;
}
