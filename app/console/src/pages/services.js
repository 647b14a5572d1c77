// The clinic's services and prices (/api/services): the scoring step prices a call by the service
// it matches. Add, change the price, delete (admin).
import { html, useState } from '../lib.js';
import { api } from '../api.js';
import { Field, ErrorNotice, Notice, Loading, Table, useGet, useAction, money } from '../ui.js';

export function Services({ admin }) {
  const state = useGet('/api/services');
  const act = useAction();
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [keywords, setKeywords] = useState('');
  const [prices, setPrices] = useState({});
  const list = (state.data && state.data.services) || [];
  const kw = (t) => t.split(',').map((k) => k.trim()).filter(Boolean);
  async function add(e) {
    e.preventDefault();
    const r = await act.run(() => api('POST', '/api/services', { name, price: Number(price), keywords: kw(keywords) }));
    if (r) { setName(''); setPrice(''); setKeywords(''); state.reload(); }
  }
  async function savePrice(s) {
    const r = await act.run(() => api('PATCH', '/api/services/' + encodeURIComponent(s.id), { price: Number(prices[s.id]) }));
    if (r) state.reload();
  }
  async function remove(s) {
    const r = await act.run(() => api('DELETE', '/api/services/' + encodeURIComponent(s.id)));
    if (r) state.reload();
  }
  return html`<section aria-labelledby="services-title">
    <h2 id="services-title">Services and prices</h2>
    <${Loading} state=${state} />
    <${ErrorNotice} error=${act.error} />
    ${act.result ? html`<${Notice}>Services updated.<//>` : null}
    <${Table} label="Services" head=${['Service', 'Price', 'Keywords', '']}
              empty=${state.data && !list.length ? 'No services.' : null}>
      ${list.map((s) => html`<tr key=${s.id}>
        <td>${s.name}</td>
        <td>${admin ? html`<label class="visually-hidden" for=${'price-' + s.id}>Price of ${s.name} (USD)</label>
          <input id=${'price-' + s.id} class="price" type="number" min="0" step="0.01"
                 value=${prices[s.id] !== undefined ? prices[s.id] : s.price}
                 onInput=${(e) => setPrices({ ...prices, [s.id]: e.target.value })} />` : money(s.price)}</td>
        <td>${(s.keywords || []).join(', ') || '—'}</td>
        <td>${admin ? html`<div class="button-row">
          <button type="button" class="secondary" aria-label=${'Save the price of ' + s.name}
                  disabled=${act.busy || prices[s.id] === undefined} onClick=${() => savePrice(s)}>Save</button>
          <button type="button" class="secondary" aria-label=${'Delete ' + s.name}
                  disabled=${act.busy} onClick=${() => remove(s)}>Delete</button></div>` : null}</td>
      </tr>`)}
    <//>
    ${admin ? html`<form class="card" onSubmit=${add}>
      <h3>Add a service</h3>
      <div class="grid">
        <${Field} id="service-name" label="Name">
          <input id="service-name" required maxlength="200" value=${name} onInput=${(e) => setName(e.target.value)} />
        <//>
        <${Field} id="service-price" label="Price (USD)">
          <input id="service-price" type="number" min="0" step="0.01" required value=${price}
                 onInput=${(e) => setPrice(e.target.value)} />
        <//>
        <${Field} id="service-keywords" label="Keywords" hint="Comma-separated words that name it in a call.">
          <input id="service-keywords" aria-describedby="service-keywords-hint" value=${keywords}
                 onInput=${(e) => setKeywords(e.target.value)} />
        <//>
      </div>
      <button type="submit" disabled=${act.busy}>Add service</button>
    </form>` : null}
  </section>`;
}
