import { data, type LinksFunction, type LoaderFunctionArgs, type MetaFunction } from '@remix-run/node';
import { Links, Meta, Outlet, Scripts, ScrollRestoration, useRouteError } from '@remix-run/react';
import { csrfTokenForRequest } from '~/auth/csrf.server';
import { consumeFlash } from '~/auth/flash.server';
import { ErrorView } from '~/components/error-view';
import { useNonce } from '~/components/nonce';
import { useShellData, type ShellData } from '~/components/shell-data';
import { setDisplayTimeZone } from '~/i18n/format';
import { resolveLocale } from '~/i18n/locale.server';
import { translate } from '~/i18n/messages';
import stylesHref from '~/styles/app.css';

export const links: LinksFunction = () => [{ rel: 'stylesheet', href: stylesHref }];

/** Language, CSRF token and pending flash for every page (see app/components/shell-data.ts). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const [locale, csrf, flash] = await Promise.all([
    resolveLocale(request, context.config),
    csrfTokenForRequest(request, context.config),
    consumeFlash(request, context.config),
  ]);
  const headers = new Headers();
  if (csrf.setCookie) headers.append('Set-Cookie', csrf.setCookie);
  if (flash.setCookie) headers.append('Set-Cookie', flash.setCookie);
  return data<ShellData>(
    { locale, csrfToken: csrf.token, flash: flash.flash, timeZone: context.config.displayTimeZone },
    { headers },
  );
}

export const meta: MetaFunction = ({ data: shell }) => [
  { title: translate((shell as ShellData | undefined)?.locale ?? 'en', 'app.name') },
];

export function Layout({ children }: { children: React.ReactNode }) {
  const { locale, timeZone } = useShellData();
  // Before any page renders (server and browser alike), so every time on it is in one zone.
  setDisplayTimeZone(timeZone);
  const nonce = useNonce();
  return (
    <html lang={locale}>
      <head>
        <meta charSet="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <Meta />
        <Links />
      </head>
      <body>
        {children}
        <ScrollRestoration nonce={nonce} />
        <Scripts nonce={nonce} />
      </body>
    </html>
  );
}

export default function App() {
  return <Outlet />;
}

export function ErrorBoundary() {
  return (
    <main className="page narrow">
      <ErrorView error={useRouteError()} />
    </main>
  );
}
