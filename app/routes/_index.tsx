import type { MetaFunction } from '@remix-run/node';

export const meta: MetaFunction = () => [{ title: 'Iamport payment monitor' }];

export default function Index() {
  return (
    <main className="page">
      <h1>Iamport payment monitor</h1>
      <p>Every redirect and webhook recorded raw, verified against the gateway, and reconciled until settled.</p>
    </main>
  );
}
