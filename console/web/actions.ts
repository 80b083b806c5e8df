import { h } from 'preact';
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import type { ActionConfig } from './api.js';

/**
 * The rollout action buttons of the fleet page (only when the console runs with --allow-actions).
 * Every click opens a dialog naming the fleet and the action; nothing is sent until it is confirmed.
 */
const WHAT: Record<string, [string, string]> = {
  pause: ['Pause', 'hold the current step (analysis keeps running)'],
  resume: ['Resume', 'continue after a pause or a manual pause step'],
  promote: ['Promote', 'skip to the next step'],
  'promote-full': ['Promote fully', 'promote the canary now, skipping the remaining steps'],
  abort: ['Abort', 'send new conversations to stable, move pinned ones back, scale the canary to 0'],
  retry: ['Retry', 'start an aborted rollout again from the first step'],
};

const labelOf = (verb: string): string => WHAT[verb]?.[0] ?? verb;

type Outcome = { ok: boolean; text: string } | undefined;

function ConfirmDialog(props: {
  fleet: string;
  verb: string;
  onCancel: () => void;
  onConfirm: () => void;
}): JSX.Element {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
  }, []);
  return h(
    'dialog',
    {
      ref,
      class: 'confirm',
      'aria-labelledby': 'confirm-title',
      'aria-describedby': 'confirm-text',
      onCancel: (e: Event) => {
        e.preventDefault();
        props.onCancel();
      },
    },
    h('h2', { id: 'confirm-title' }, `${labelOf(props.verb)} the rollout of ${props.fleet}?`),
    h(
      'p',
      { id: 'confirm-text' },
      `This will ${WHAT[props.verb]?.[1] ?? props.verb}: it sets chatfleet.io/rollout-action=${props.verb}@<nonce> on ${props.fleet}, as you.`,
    ),
    h(
      'div',
      { class: 'confirm-buttons' },
      h('button', { type: 'button', onClick: props.onCancel, autofocus: true }, 'Cancel'),
      h(
        'button',
        { type: 'button', class: 'danger', 'data-confirm': props.verb, onClick: props.onConfirm },
        `${labelOf(props.verb)} ${props.fleet}`,
      ),
    ),
  );
}

export function RolloutActions(props: { namespace: string; name: string }): JSX.Element | null {
  const [config, setConfig] = useState<ActionConfig | undefined>(undefined);
  const [asking, setAsking] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>(undefined);
  useEffect(() => {
    void api.actions().then(setConfig, () => setConfig({ enabled: false, verbs: [] }));
  }, []);
  if (!config?.enabled || !config.token) return null;
  const token = config.token;
  const fleet = `${props.namespace}/${props.name}`;
  const confirm = (verb: string): void => {
    setAsking(undefined);
    setBusy(true);
    void api
      .act(props.namespace, props.name, verb, token)
      .then(
        (set) => setOutcome({ ok: true, text: `${labelOf(verb)} sent to ${fleet}: ${set}` }),
        (err: unknown) =>
          setOutcome({ ok: false, text: `${labelOf(verb)} of ${fleet} failed: ${(err as Error).message}` }),
      )
      .finally(() => setBusy(false));
  };
  return h(
    'div',
    { class: 'actions', 'data-section': 'actions' },
    h(
      'div',
      { role: 'group', 'aria-label': `Rollout actions for ${fleet}` },
      config.verbs.map((verb) =>
        h(
          'button',
          {
            type: 'button',
            'data-action': verb,
            title: WHAT[verb]?.[1],
            disabled: busy,
            onClick: () => {
              setOutcome(undefined);
              setAsking(verb);
            },
          },
          labelOf(verb),
        ),
      ),
    ),
    outcome
      ? h(
          'p',
          { role: outcome.ok ? 'status' : 'alert', class: outcome.ok ? 'action-ok' : 'action-error' },
          outcome.ok ? '✔ ' : '✖ ',
          outcome.text,
        )
      : null,
    asking
      ? h(ConfirmDialog, {
          fleet,
          verb: asking,
          onCancel: () => setAsking(undefined),
          onConfirm: () => confirm(asking),
        })
      : null,
  );
}
