/** Placeholder until the page lands. */
export function ExperimentsPage(props: { query: URLSearchParams }) {
  return (
    <main className="page">
      <h1>ExperimentsPage</h1>
      <pre>{JSON.stringify({ ...props, query: props.query.toString() })}</pre>
    </main>
  );
}
