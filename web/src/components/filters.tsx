/** Filter controls bound to the query string, text inputs committed after a short pause. */
import { useEffect, useState, type ReactNode } from 'react';

export function useDebounced<T>(value: T, ms = 300): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export function TextFilter({ label, value, onChange, placeholder, inputMode, width }: {
  label: string; value: string; onChange: (v: string) => void; placeholder?: string; inputMode?: 'numeric' | 'text'; width?: string;
}) {
  const [text, setText] = useState(value);
  const debounced = useDebounced(text);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (debounced !== value) onChange(debounced.trim());
  }, [debounced]);
  return (
    <label className="filter" style={width ? { width } : undefined}>
      <span>{label}</span>
      <input type="search" value={text} placeholder={placeholder} inputMode={inputMode} onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Enter') onChange(text.trim()); }} />
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
