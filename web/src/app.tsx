import { useEffect, useState } from 'react';
import { auth } from './api/client';
import { AuthPrompt } from './auth-prompt';
import { ComparePage } from './pages/compare-page';
import { ExperimentsPage } from './pages/experiments-page';
import { RunPage } from './pages/run-page';
import { RunsPage } from './pages/runs-page';
import { links, useRoute, type Route } from './router';
import { useTheme } from './theme';

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'experiments':
      return <ExperimentsPage query={route.query} />;
    case 'runs':
      return <RunsPage experimentId={route.experimentId} query={route.query} />;
    case 'run':
      return <RunPage experimentId={route.experimentId} runId={route.runId} query={route.query} />;
    case 'compare':
      return <ComparePage runIds={route.runIds} query={route.query} />;
    case 'not-found':
      return (
        <main className="page">
          <h1>Not found</h1>
          <p>
            Nothing at <code>#{route.path}</code>. <a href={links.experiments()}>All experiments</a>
          </p>
        </main>
      );
  }
}

export function App() {
  const route = useRoute();
  const [theme, toggleTheme] = useTheme();
  const [needsKey, setNeedsKey] = useState(false);
  // Bumped when a key is entered, so the page asks the server again.
  const [generation, setGeneration] = useState(0);
  useEffect(() => auth.onChange((needed) => setNeedsKey(needed)), []);
  return (
    <>
      <header className="topbar">
        <a className="brand" href={links.experiments()}>
          entrenar <span>tracking</span>
        </a>
        <nav aria-label="Main">
          <a href={links.experiments()}>Experiments</a>
        </nav>
        <div className="topbar-actions">
          {auth.key() ? (
            <button
              type="button"
              onClick={() => {
                auth.clear();
                setNeedsKey(true);
              }}
            >
              Forget key
            </button>
          ) : null}
          <button type="button" aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`} onClick={toggleTheme}>
            {theme === 'dark' ? '☀ Light' : '☾ Dark'}
          </button>
        </div>
      </header>
      <Page key={generation} route={route} />
      {needsKey ? (
        <AuthPrompt
          onDone={() => {
            setNeedsKey(false);
            setGeneration((value) => value + 1);
          }}
        />
      ) : null}
    </>
  );
}
