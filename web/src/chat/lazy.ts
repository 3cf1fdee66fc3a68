// A component loaded on first use, so what most people never open (the thread panel, the
// forward dialog) stays out of the chat's first load.
import { type ComponentType, h } from 'preact';
import { useEffect, useState } from 'preact/hooks';

/** A component that renders nothing until `load` resolved, then the loaded component. */
export function lazyComponent<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  let loading: Promise<void> | null = null;
  return function Lazy(props: P) {
    const [, setReady] = useState(false);
    useEffect(() => {
      if (loaded) return;
      let live = true;
      loading ??= load().then((component) => {
        loaded = component;
      });
      loading.then(() => live && setReady(true)).catch(() => {
        loading = null;
      });
      return () => {
        live = false;
      };
    }, []);
    return loaded ? h(loaded, props) : null;
  };
}
