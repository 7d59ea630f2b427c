import { useEffect, useState } from 'react';

export type Theme = 'light' | 'dark';
const THEME_STORAGE = 'entrenar.theme';

function initialTheme(): Theme {
  const stored = localStorage.getItem(THEME_STORAGE);
  if (stored === 'light' || stored === 'dark') {
    return stored;
  }
  return window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

/** The colour theme: the system's until the user picks one, then theirs, remembered. */
export function useTheme(): [Theme, () => void] {
  const [theme, setTheme] = useState<Theme>(initialTheme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  const toggle = (): void => {
    const next = theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem(THEME_STORAGE, next);
    setTheme(next);
  };
  return [theme, toggle];
}

/** A CSS custom property of the current theme (charts draw on canvas and need real colours). */
export function themeColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Distinct run colours, readable on both themes. */
export const RUN_COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#ea580c', '#4f46e5'];
