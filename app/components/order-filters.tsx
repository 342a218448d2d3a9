import { Form, Link, useNavigate } from '@remix-run/react';
import type { FormEvent } from 'react';
import type { MessageKey } from '../i18n/messages';
import { useT } from '../i18n/use-t';
import { payMethodLabel } from './order-bits';
import type { OrderLogForm, StoreRef } from '../monitor/dashboard/payment-log.server';
import { ATTENTION_REASONS, ORDER_STATUSES } from '../monitor/status';

/**
 * The payment log's filters: a plain GET form, so every filter lives in the URL (shareable,
 * bookmarkable, and the CSV export reads the same parameters). Submitting starts from the first
 * page (no cursor).
 */
export function OrderFilters({
  params,
  stores,
  payMethods,
  pgProviders,
  buyerSearch,
  invalid,
}: {
  params: OrderLogForm;
  stores: StoreRef[];
  payMethods: string[];
  pgProviders: string[];
  /** Whether buyer contact can be searched (not for viewers, who see it masked: decision 0157). */
  buyerSearch: boolean;
  /** The parameter the server refused, marked invalid. */
  invalid?: string | null;
}) {
  const t = useT();
  const navigate = useNavigate();
  const any = t('filters.any');
  // With JavaScript, blank fields and defaults are left out of the URL (without it, the plain
  // GET sends them and the server ignores blanks just the same).
  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [key, value] of new FormData(event.currentTarget)) {
      if (typeof value !== 'string' || value.trim() === '') continue;
      if ((key === 'sort' && value === 'created') || (key === 'dir' && value === 'desc')) continue;
      if (key === 'field' && value === 'id') continue;
      query.set(key, value.trim());
    }
    const search = query.toString();
    navigate(search ? `/orders?${search}` : '/orders');
  };
  // A value typed into the URL that the list does not know yet stays selectable.
  const withCurrent = (values: string[], current: string) =>
    current && !values.includes(current) ? [...values, current] : values;
  const field = (name: string) => ({ name, id: `filter-${name}`, 'aria-invalid': invalid === name ? true : undefined });
  return (
    <Form
      method="get"
      action="/orders"
      onSubmit={onSubmit}
      className="filters card"
      role="search"
      aria-label={t('filters.label')}
      data-testid="order-filters"
    >
      <div className="filters-grid">
        <div className="field filter-search">
          <label htmlFor="filter-q">{t('filters.search')}</label>
          <input
            type="search"
            {...field('q')}
            defaultValue={params.q}
            placeholder={t(buyerSearch ? 'filters.searchPlaceholder' : 'filters.searchPlaceholderNoBuyer')}
            maxLength={100}
          />
        </div>
        <div className="field">
          <label htmlFor="filter-field">{t('filters.searchIn')}</label>
          <select {...field('field')} defaultValue={params.field}>
            <option value="id">{t(buyerSearch ? 'filters.searchId' : 'filters.searchIdNoBuyer')}</option>
            {buyerSearch ? <option value="email">{t('filters.searchEmail')}</option> : null}
            {buyerSearch ? <option value="phone">{t('filters.searchPhone')}</option> : null}
            <option value="name">{t('filters.searchName')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-store">{t('filters.store')}</label>
          <select {...field('store')} defaultValue={params.store}>
            <option value="">{any}</option>
            {stores.map((s) => (
              <option key={s.slug} value={s.slug}>
                {s.name} ({s.slug})
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-status">{t('filters.status')}</label>
          <select {...field('status')} defaultValue={params.status}>
            <option value="">{any}</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-reason">{t('filters.reason')}</label>
          <select {...field('reason')} defaultValue={params.reason}>
            <option value="">{any}</option>
            <option value="any">{t('filters.reasonAny')}</option>
            {ATTENTION_REASONS.map((r) => (
              <option key={r} value={r}>
                {t(`reason.${r}` as MessageKey)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-method">{t('filters.payMethod')}</label>
          <select {...field('method')} defaultValue={params.method}>
            <option value="">{any}</option>
            {withCurrent(payMethods, params.method).map((m) => (
              <option key={m} value={m}>
                {payMethodLabel(t, m)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-pg">{t('filters.pg')}</label>
          <select {...field('pg')} defaultValue={params.pg}>
            <option value="">{any}</option>
            {withCurrent(pgProviders, params.pg).map((p) => (
              <option key={p} value={p}>
                {p}
              </option>
            ))}
          </select>
        </div>
        <fieldset className="field range">
          <legend>{t('filters.created')}</legend>
          <input type="date" {...field('from')} defaultValue={params.from} aria-label={t('filters.from')} />
          <span aria-hidden="true">–</span>
          <input type="date" {...field('to')} defaultValue={params.to} aria-label={t('filters.to')} />
        </fieldset>
        <fieldset className="field range">
          <legend>{t('filters.amount')}</legend>
          <input
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            {...field('min')}
            defaultValue={params.min}
            aria-label={t('filters.min')}
          />
          <span aria-hidden="true">–</span>
          <input
            type="number"
            min={0}
            step={1}
            inputMode="numeric"
            {...field('max')}
            defaultValue={params.max}
            aria-label={t('filters.max')}
          />
        </fieldset>
        <div className="field">
          <label htmlFor="filter-sort">{t('filters.sort')}</label>
          <select {...field('sort')} defaultValue={params.sort}>
            <option value="created">{t('filters.sortCreated')}</option>
            <option value="updated">{t('filters.sortUpdated')}</option>
            <option value="amount">{t('filters.sortAmount')}</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="filter-dir">{t('filters.direction')}</label>
          <select {...field('dir')} defaultValue={params.dir}>
            <option value="desc">{t('filters.desc')}</option>
            <option value="asc">{t('filters.asc')}</option>
          </select>
        </div>
      </div>
      <div className="filters-actions">
        <button type="submit" className="btn btn-primary">
          {t('filters.apply')}
        </button>
        <Link to="/orders" className="btn btn-secondary">
          {t('filters.reset')}
        </Link>
      </div>
    </Form>
  );
}

/** Previous/next links for a keyset-paged list: the same parameters with another cursor. */
export function Pager({
  search,
  prev,
  next,
  cursorParam = 'cursor',
}: {
  search: string;
  prev: string | null;
  next: string | null;
  cursorParam?: string;
}) {
  const t = useT();
  const href = (cursor: string | null) => {
    const params = new URLSearchParams(search);
    params.delete(cursorParam);
    if (cursor) params.set(cursorParam, cursor);
    const query = params.toString();
    return query ? `?${query}` : '?';
  };
  if (!prev && !next) return null;
  return (
    <nav className="pager" aria-label={t('pager.label')}>
      {prev ? (
        <Link to={href(prev)} rel="prev" className="btn btn-secondary" data-testid="page-prev">
          {t('pager.prev')}
        </Link>
      ) : (
        <span />
      )}
      {next ? (
        <Link to={href(next)} rel="next" className="btn btn-secondary" data-testid="page-next">
          {t('pager.next')}
        </Link>
      ) : null}
    </nav>
  );
}
