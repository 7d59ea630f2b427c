/** Placeholder until the page lands. */
export function RunsPage(props: { experimentId: string; query: URLSearchParams }) {
  return (
    <main className="page">
      <h1>RunsPage</h1>
      <pre>{JSON.stringify({ ...props, query: props.query.toString() })}</pre>
    </main>
  );
}
