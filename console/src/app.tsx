import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { currentSession, onSessionLost, type Session, signIn, signOut } from './api.js';
import { live } from './live.js';
import { ErrorNote } from './ui.js';
import { CampaignsView } from './views/campaigns.js';
import { CareView } from './views/care.js';
import { LiveMapView } from './views/live-map.js';
import { OpsView } from './views/ops.js';
import { RecsView } from './views/recs.js';
import { ReviewsView } from './views/reviews.js';

type Role = Session['role'];

/** The views, and the roles that may open each (admin opens all): the API enforces the same. */
export const VIEWS = [
  { path: 'campaigns', title: 'Campaigns', roles: ['marketer'] },
  { path: 'map', title: 'Live map', roles: ['marketer'] },
  { path: 'care', title: 'Care', roles: ['care', 'marketer'] },
  { path: 'reviews', title: 'Fraud review', roles: ['reviewer', 'merchant'] },
  { path: 'recs', title: 'Recommendations', roles: ['marketer'] },
  { path: 'ops', title: 'Operations', roles: [] },
] as const satisfies ReadonlyArray<{ path: string; title: string; roles: readonly Role[] }>;

function mayOpen(role: Role, roles: readonly Role[]): boolean {
  return role === 'admin' || roles.includes(role);
}

function useHash(): string[] {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const on = () => setHash(location.hash);
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
}

function SignIn({ onSignedIn, expired }: { onSignedIn: (s: Session) => void; expired: boolean }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      onSignedIn(await signIn(key));
      setKey('');
      setError(null);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class={expired ? 'overlay' : 'signin-page'}>
      <form class="signin" onSubmit={submit} aria-label="sign in">
        <h1>Hexcast console</h1>
        {expired ? (
          <p>Your session has ended. Sign in again: what you were doing is kept.</p>
        ) : (
          <p>Sign in with an API key (create one with POST /v1/keys or hexcast keys create).</p>
        )}
        <label>
          API key
          <input
            name="key"
            type="password"
            autocomplete="off"
            value={key}
            onInput={(e) => setKey((e.target as HTMLInputElement).value)}
            required
          />
        </label>
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <ErrorNote error={error} />
      </form>
    </div>
  );
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [expired, setExpired] = useState(false);
  const waiting = useRef<Array<() => void>>([]);
  const [connected, setConnected] = useState(false);
  const route = useHash();

  useEffect(() => {
    currentSession().then(setSession, () => setSession(null));
    onSessionLost(
      () =>
        new Promise<void>((resolve) => {
          waiting.current.push(resolve);
          live.stop();
          setExpired(true);
        }),
    );
    return live.onStatus(setConnected);
  }, []);

  useEffect(() => {
    if (session) live.start();
  }, [session]);

  const signedIn = (s: Session) => {
    setSession(s);
    setExpired(false);
    live.start();
    for (const resolve of waiting.current.splice(0)) resolve();
  };

  if (session === undefined) return <div class="loading">Loading…</div>;
  if (session === null) return <SignIn onSignedIn={signedIn} expired={false} />;

  const views = VIEWS.filter((v) => mayOpen(session.role, v.roles));
  const [first = views[0]?.path ?? '', ...rest] = route;
  const view = VIEWS.find((v) => v.path === first);
  let body: ComponentChildren;
  if (view === undefined) {
    body = (
      <div class="empty">
        {views.length === 0
          ? `A ${session.role} key has no console views: use the API (see /docs).`
          : 'Choose a view above.'}
      </div>
    );
  } else if (!mayOpen(session.role, view.roles)) {
    body = (
      <div class="error" role="alert">
        <strong>
          A {session.role} key may not open {view.title}.
        </strong>{' '}
        <code>HX_AUTH_FORBIDDEN</code>
      </div>
    );
  } else {
    body = {
      campaigns: <CampaignsView rest={rest} />,
      map: <LiveMapView />,
      care: <CareView role={session.role} />,
      reviews: <ReviewsView rest={rest} role={session.role} />,
      recs: <RecsView />,
      ops: <OpsView />,
    }[view.path];
  }
  return (
    <div class="shell">
      <header>
        <span class="brand">Hexcast</span>
        <nav>
          {views.map((v) => (
            <a key={v.path} href={`#/${v.path}`} class={v.path === first ? 'active' : ''}>
              {v.title}
            </a>
          ))}
        </nav>
        <span class={`live-dot ${connected ? 'on' : 'off'}`} title={connected ? 'live' : 'reconnecting'} />
        <span class="who">
          {session.name} · {session.role}
        </span>
        <button
          type="button"
          class="link"
          onClick={async () => {
            live.stop();
            await signOut();
            setSession(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main>{body}</main>
      {expired && <SignIn onSignedIn={signedIn} expired={true} />}
    </div>
  );
}
