import { useEffect, useState } from 'react';
import { apiGet } from '../api/client';
import type { ExperimentList } from '../api/types';
import { links } from '../router';

/** Placeholder until the page lands: the names only. */
export function ExperimentsPage(props: { query: URLSearchParams }) {
  const [list, setList] = useState<ExperimentList>();
  useEffect(() => {
    apiGet<ExperimentList>('/api/v1/experiments').then(setList, () => undefined);
  }, [props.query]);
  return (
    <main className="page">
      <h1>Experiments</h1>
      <ul>
        {list?.experiments.map((experiment) => (
          <li key={experiment.id}>
            <a href={links.runs(experiment.id)}>{experiment.name}</a>
          </li>
        ))}
      </ul>
    </main>
  );
}
