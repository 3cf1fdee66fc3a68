// Placeholder: the social area (friends, groups, search) replaces this panel; the chat's sidebar
// renders it under its "Search" tab.

/** The sidebar's Search tab (placeholder until the social panels land). */
export function SearchPanel() {
  return <section />;
}
