// A button for a step that cannot be undone (remove a friend, dissolve a group): the first press
// asks, in place, with a "confirm" and a "cancel" button, so no browser dialog is needed.
import { useState } from 'preact/hooks';
import { useT } from '../i18n';

/** A two-step button: `label`, then `confirmLabel` / cancel. */
export function ConfirmButton(props: {
  label: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  /** Accessible name when `label` alone is ambiguous in a list (e.g. "Remove Bob"). */
  ariaLabel?: string;
}) {
  const t = useT();
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="danger-text" disabled={props.disabled} aria-label={props.ariaLabel} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={props.ariaLabel ?? props.label}>
      <button
        type="button"
        class="danger"
        autoFocus
        disabled={props.disabled}
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        {props.confirmLabel}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        {t('common.cancel')}
      </button>
    </span>
  );
}
