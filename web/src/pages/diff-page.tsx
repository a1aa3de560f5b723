/** A diff between any two scans, addressable as /diff?base=…&head=… . */
import { DiffView } from '../components/diff-view';
import { useQueryState, useTitle } from '../router';

export default function DiffPage() {
  useTitle('Diff');
  const [q] = useQueryState();
  const base = q.get('base');
  const head = q.get('head');
  return (
    <>
      <h1>Diff between scans</h1>
      {base && head ? <DiffView base={base} head={head} /> : <p>Give two scan ids: <code>/ui/diff?base=…&amp;head=…</code>.</p>}
    </>
  );
}
