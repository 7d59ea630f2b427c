/** Placeholder until the page lands. */
export function ComparePage(props: { runIds: string[]; query: URLSearchParams }) {
  return (
    <main className="page">
      <h1>ComparePage</h1>
      <pre>{JSON.stringify({ ...props, query: props.query.toString() })}</pre>
    </main>
  );
}
