import { useEffect, useState } from 'react';

/** Changes whenever the page's theme (data-theme on <html>) changes, so canvases can redraw in its colours. */
export function useThemeVersion(): string {
  const [theme, setTheme] = useState(() => document.documentElement.dataset.theme ?? '');
  useEffect(() => {
    const observer = new MutationObserver(() => setTheme(document.documentElement.dataset.theme ?? ''));
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    return () => observer.disconnect();
  }, []);
  return theme;
}
