// The clinic's leads: GET /api/contacts (lead status and tier, filterable) and the counts of
// GET /api/contacts/stats.
import { html, useState } from '../lib.js';
import { Page, Table, Loading, Tag, Field, useGet, when, dash } from '../ui.js';

export function Leads() {
  const [tier, setTier] = useState('');
  const [status, setStatus] = useState('');
  const query = new URLSearchParams();
  if (tier) query.set('lead_tier', tier);
  if (status) query.set('lead_status', status);
  const contacts = useGet('/api/contacts' + (query.toString() ? '?' + query : ''));
  const stats = useGet('/api/contacts/stats');
  const s = stats.data;
  const list = (contacts.data && contacts.data.contacts) || [];
  return html`<${Page} title="Leads">
    <${Loading} state=${stats} />
    ${s ? html`<dl class="stats">
      <div><dt>Leads</dt><dd>${s.total_leads}</dd></div>
      <div><dt>Hot</dt><dd>${s.hot_leads}</dd></div>
      <div><dt>Warm</dt><dd>${s.warm_leads}</dd></div>
      <div><dt>Cold</dt><dd>${s.cold_leads}</dd></div>
    </dl>` : null}
    <div class="filters">
      <${Field} id="lead-tier" label="Tier">
        <select id="lead-tier" value=${tier} onChange=${(e) => setTier(e.target.value)}>
          <option value="">All tiers</option><option value="hot">Hot</option>
          <option value="warm">Warm</option><option value="cold">Cold</option>
        </select>
      <//>
      <${Field} id="lead-status" label="Status">
        <select id="lead-status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
          <option value="">All statuses</option><option value="new">New</option>
          <option value="contacted">Contacted</option><option value="booked">Booked</option>
          <option value="lost">Lost</option>
        </select>
      <//>
    </div>
    <${Loading} state=${contacts} />
    <${Table} label="Leads" head=${['Name', 'Phone', 'Status', 'Score', 'Tier', 'Last contacted', 'SMS']}
              empty=${contacts.data && !list.length ? 'No leads match.' : null}>
      ${list.map((c) => html`<tr key=${c.id}>
        <td>${c.contact_name || html`<span class="muted">unknown</span>`}</td>
        <td>${dash(c.phone_number)}</td>
        <td><${Tag} value=${c.lead_status} kind="status" /></td>
        <td>${dash(c.lead_score)}</td>
        <td><${Tag} value=${c.lead_tier} kind="tier" /></td>
        <td>${when(c.last_contacted_at)}</td>
        <td>${c.opted_out ? 'opted out' : 'yes'}</td>
      </tr>`)}
    <//>
  <//>`;
}
