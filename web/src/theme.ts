/**
 * Theme: follows the system (prefers-color-scheme) until the user picks one; the choice is kept in
 * localStorage and applied as data-theme on <html>, which the stylesheet reads.
 */
import { useCallback, useSyncExternalStore } from 'react';

export type ThemeChoice = 'system' | 'light' | 'dark';
const KEY = 'trawl.theme';
const listeners = new Set<() => void>();

function read(): ThemeChoice {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

export function applyTheme(choice: ThemeChoice = read()): void {
  const root = document.documentElement;
  if (choice === 'system') root.removeAttribute('data-theme');
  else root.setAttribute('data-theme', choice);
}

const media = typeof window !== 'undefined' ? window.matchMedia('(prefers-color-scheme: dark)') : undefined;
media?.addEventListener('change', () => listeners.forEach((l) => l()));

/** The theme in effect (what charts colour themselves by). */
export function effectiveTheme(): 'light' | 'dark' {
  const c = read();
  if (c !== 'system') return c;
  return media?.matches ? 'dark' : 'light';
}

export function useTheme(): { choice: ThemeChoice; effective: 'light' | 'dark'; setChoice: (c: ThemeChoice) => void } {
  const choice = useSyncExternalStore((l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  }, read);
  const effective = useSyncExternalStore((l) => {
    listeners.add(l);
    return () => listeners.delete(l);
  }, effectiveTheme);
  const setChoice = useCallback((c: ThemeChoice) => {
    try {
      if (c === 'system') localStorage.removeItem(KEY);
      else localStorage.setItem(KEY, c);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    applyTheme(c);
    listeners.forEach((l) => l());
  }, []);
  return { choice, effective, setChoice };
}
