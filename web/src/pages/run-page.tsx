/** Placeholder until the page lands. */
export function RunPage(props: { experimentId: string; runId: string; query: URLSearchParams }) {
  return (
    <main className="page">
      <h1>RunPage</h1>
      <pre>{JSON.stringify({ ...props, query: props.query.toString() })}</pre>
    </main>
  );
}
