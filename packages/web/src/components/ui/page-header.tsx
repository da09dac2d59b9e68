import type { ComponentChildren } from 'preact';
import { Link } from '../../lib/router';

export interface Crumb {
  href: string;
  label: string;
}

export interface PageHeaderProps {
  title: ComponentChildren;
  /** one muted line under the title: counts, state */
  summary?: ComponentChildren;
  /** buttons or links on the right (they wrap under the title on a phone) */
  actions?: ComponentChildren;
  breadcrumb?: readonly Crumb[];
  testid?: string;
}

/** Every page starts with this: optional breadcrumb, the h1, a summary line, and the page's actions. */
export function PageHeader({ title, summary, actions, breadcrumb, testid }: PageHeaderProps) {
  return (
    <header class="page-header" data-testid={testid}>
      {breadcrumb && breadcrumb.length > 0 && (
        <nav class="breadcrumb page-header__crumbs" aria-label="Breadcrumb">
          {breadcrumb.map((c) => (
            <span key={c.href}>
              <Link href={c.href}>{c.label}</Link>
              <span aria-hidden="true"> / </span>
            </span>
          ))}
        </nav>
      )}
      <div class="page-header__text">
        <h1>{title}</h1>
        {summary !== undefined && <p class="page-header__summary">{summary}</p>}
      </div>
      {actions !== undefined && <div class="page-header__actions">{actions}</div>}
    </header>
  );
}

/** A titled block of a page (a card with a heading and optional actions). */
export function Section({ title, actions, children, testid, description }: { title: string; actions?: ComponentChildren; children: ComponentChildren; testid?: string; description?: ComponentChildren }) {
  return (
    <section class="panel section" data-testid={testid} aria-label={title}>
      <div class="panel__header">
        <h2>{title}</h2>
        {actions !== undefined && <div class="section__actions">{actions}</div>}
      </div>
      {description !== undefined && <p class="section__description">{description}</p>}
      {children}
    </section>
  );
}

/** Nothing to show yet: say so, and say what would fill it. */
export function EmptyState({ title, children, testid }: { title: string; children?: ComponentChildren; testid?: string }) {
  return (
    <div class="empty-state empty-state--inline" data-testid={testid}>
      <p class="empty-state__title">{title}</p>
      {children !== undefined && <p class="empty-state__text">{children}</p>}
    </div>
  );
}

export type BadgeTone = 'ok' | 'warn' | 'danger' | 'idle' | 'accent';

/** A small coloured status word (state, severity, role). */
export function Badge({ tone, children, testid }: { tone: BadgeTone; children: ComponentChildren; testid?: string }) {
  return (
    <span class={`pill pill--${tone}`} data-testid={testid}>
      {children}
    </span>
  );
}
