// Caller ID & forwarding (docs/hybrid-telephony.md): the clinic keeps its mobile number and
// forwards it to its AI number, in five steps against the telephony API:
//   1 phone number  → POST /api/telephony/verify-caller-id/initiate (a code by SMS or call)
//   2 code          → POST /api/telephony/verify-caller-id/confirm
//   3 carrier       → POST /api/telephony/forwarding-config (the dial codes)
//   4 dial codes    → shown with a copy button; POST /api/telephony/forwarding-config/confirm
//   5 confirmation  → forwarding is active
import { html, useState, useRef, useEffect } from '../lib.js';
import { api } from '../api.js';
import { Page, Field, ErrorNotice, Notice, Tag, Table, Loading, useGet, useAction, when } from '../ui.js';

const STEPS = ['Phone number', 'Code', 'Carrier', 'Dial codes', 'Confirmation'];
const CARRIERS = [['tmobile', 'T-Mobile or Sprint'], ['att', 'AT&T'], ['verizon', 'Verizon'], ['other_gsm', 'Another GSM carrier']];

export function Wizard() {
  const [step, setStep] = useState(0);
  const [flow, setFlow] = useState({});
  const verified = useGet('/api/telephony/verified-numbers');
  const heading = useRef(null);
  useEffect(() => {
    if (step === 0) return;
    if (heading.current) heading.current.focus();
    verified.reload();  // the list follows the steps (verified, then forwarding configured)
  }, [step]);
  const next = (more) => { setFlow((f) => ({ ...f, ...more })); setStep((s) => s + 1); };
  const restart = () => { setFlow({}); setStep(0); verified.reload(); };
  const forward = (n) => { setFlow({ phoneNumber: n.phoneNumber, verifiedCallerId: n.id }); setStep(2); };
  const numbers = (verified.data && verified.data.numbers) || [];
  return html`<${Page} title="Caller ID & forwarding">
    <p class="muted">Keep the clinic's mobile number and let the AI answer: prove you own it, then key in a
      carrier code that forwards its calls to your AI number.</p>
    <ol class="steps" aria-label="Steps">
      ${STEPS.map((s, i) => html`<li aria-current=${i === step ? 'step' : undefined}
        class=${i < step ? 'done' : ''}>${i + 1}. ${s}</li>`)}
    </ol>
    <div class="card wizard">
      <h2 tabindex="-1" ref=${heading}>Step ${step + 1} of 5: ${STEPS[step]}</h2>
      ${step === 0 ? html`<${StepNumber} onNext=${next} />` : null}
      ${step === 1 ? html`<${StepCode} flow=${flow} onNext=${next} onBack=${restart} />` : null}
      ${step === 2 ? html`<${StepCarrier} flow=${flow} onNext=${next} />` : null}
      ${step === 3 ? html`<${StepDial} flow=${flow} onNext=${next} />` : null}
      ${step === 4 ? html`<${StepDone} flow=${flow} onRestart=${restart} />` : null}
    </div>
    <h2>Verified numbers</h2>
    <${Loading} state=${verified} />
    <${Table} label="Verified numbers" head=${['Number', 'Name', 'Status', 'Verified', 'Forwarding', '']}
              empty=${verified.data && !numbers.length ? 'No verified number yet.' : null}>
      ${numbers.map((n) => html`<tr key=${n.id}>
        <td>${n.phoneNumber}</td><td>${n.friendlyName || '—'}</td><td><${Tag} value=${n.status} /></td>
        <td>${when(n.verifiedAt)}</td><td>${n.hasForwardingConfig ? 'configured' : 'none'}</td>
        <td>${n.status === 'verified' && !n.hasForwardingConfig && step === 0
          ? html`<button type="button" class="secondary" aria-label=${'Set up forwarding for ' + n.phoneNumber}
                   onClick=${() => forward(n)}>Set up forwarding</button>` : null}</td>
      </tr>`)}
    <//>
  <//>`;
}

function StepNumber({ onNext }) {
  const [phone, setPhone] = useState('');
  const [name, setName] = useState('');
  const [channel, setChannel] = useState('sms');
  const act = useAction();
  async function submit(e) {
    e.preventDefault();
    const body = { phoneNumber: phone, channel };
    if (name.trim()) body.friendlyName = name.trim();
    const r = await act.run(() => api('POST', '/api/telephony/verify-caller-id/initiate', body));
    if (r) onNext({ phoneNumber: phone, verificationId: r.verificationId, expiresAt: r.expiresAt, sent: r.message });
  }
  return html`<form onSubmit=${submit}>
    <${Field} id="wizard-phone" label="Mobile number" hint="The number the clinic keeps, e.g. (415) 555-0123.">
      <input id="wizard-phone" type="tel" autocomplete="tel" required aria-describedby="wizard-phone-hint"
             value=${phone} onInput=${(e) => setPhone(e.target.value)} />
    <//>
    <${Field} id="wizard-name" label="Name (optional)">
      <input id="wizard-name" value=${name} maxlength="100" onInput=${(e) => setName(e.target.value)} />
    <//>
    <fieldset><legend>Send the code by</legend>
      <label class="inline"><input type="radio" name="wizard-channel" value="sms" checked=${channel === 'sms'}
        onChange=${() => setChannel('sms')} /> SMS</label>
      <label class="inline"><input type="radio" name="wizard-channel" value="call" checked=${channel === 'call'}
        onChange=${() => setChannel('call')} /> Voice call</label>
    </fieldset>
    <button type="submit" disabled=${act.busy}>Send code</button>
    <${ErrorNotice} error=${act.error} />
  </form>`;
}

function StepCode({ flow, onNext, onBack }) {
  const [code, setCode] = useState('');
  const act = useAction();
  async function submit(e) {
    e.preventDefault();
    const r = await act.run(() => api('POST', '/api/telephony/verify-caller-id/confirm',
                                      { verificationId: flow.verificationId, verificationCode: code.trim() }));
    if (r) onNext({ verifiedCallerId: r.verifiedCallerId, phoneNumber: r.phoneNumber || flow.phoneNumber });
  }
  const left = act.error && act.error.body && act.error.body.error && act.error.body.error.attemptsRemaining;
  return html`<form onSubmit=${submit}>
    <p>${flow.sent || 'A code is on its way to ' + flow.phoneNumber + '.'} It expires ${when(flow.expiresAt)}.</p>
    <${Field} id="wizard-code" label="Code" hint="The 6 digits you received.">
      <input id="wizard-code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"
             required aria-describedby="wizard-code-hint" value=${code} onInput=${(e) => setCode(e.target.value)} />
    <//>
    <div class="button-row">
      <button type="submit" disabled=${act.busy}>Verify</button>
      <button type="button" class="secondary" onClick=${onBack}>Use another number</button>
    </div>
    <${ErrorNotice} error=${act.error} />
    ${left !== undefined && left !== null ? html`<p class="muted">${left} attempt${left === 1 ? '' : 's'} left.</p>` : null}
  </form>`;
}

function StepCarrier({ flow, onNext }) {
  const [carrier, setCarrier] = useState('tmobile');
  const [mode, setMode] = useState('safety_net');
  const [ring, setRing] = useState('');
  const act = useAction();
  const gsm = carrier !== 'verizon';
  async function submit(e) {
    e.preventDefault();
    const body = { verifiedCallerId: flow.verifiedCallerId, forwardingType: mode, carrier };
    if (ring && gsm && mode === 'safety_net') body.ringTimeSeconds = Number(ring);
    const r = await act.run(() => api('POST', '/api/telephony/forwarding-config', body));
    if (r) onNext({ config: r.config });
  }
  return html`<form onSubmit=${submit}>
    <p>${flow.phoneNumber} is verified. Which carrier is it on, and which calls should the AI answer?</p>
    <${Field} id="wizard-carrier" label="Carrier">
      <select id="wizard-carrier" value=${carrier} onChange=${(e) => setCarrier(e.target.value)}>
        ${CARRIERS.map(([v, l]) => html`<option value=${v}>${l}</option>`)}
      </select>
    <//>
    <fieldset><legend>Forward</legend>
      <label class="inline"><input type="radio" name="wizard-mode" value="safety_net" checked=${mode === 'safety_net'}
        onChange=${() => setMode('safety_net')} /> Only calls you miss (no answer, busy, unreachable)</label>
      <label class="inline"><input type="radio" name="wizard-mode" value="total_ai" checked=${mode === 'total_ai'}
        onChange=${() => setMode('total_ai')} /> Every call</label>
    </fieldset>
    ${gsm && mode === 'safety_net' ? html`<${Field} id="wizard-ring" label="Ring for (seconds) before forwarding">
      <select id="wizard-ring" value=${ring} onChange=${(e) => setRing(e.target.value)}>
        <option value="">The network's default</option>
        ${[5, 10, 15, 20, 25, 30].map((s) => html`<option value=${s}>${s}</option>`)}
      </select>
    <//>` : null}
    <button type="submit" disabled=${act.busy}>Get the codes</button>
    <${ErrorNotice} error=${act.error} />
  </form>`;
}

const lines = (v) => (Array.isArray(v) ? v : v ? [v] : []);

function StepDial({ flow, onNext }) {
  const c = flow.config;
  const [copied, setCopied] = useState('');
  const codeRef = useRef(null);
  const act = useAction();
  async function copy() {
    try {
      await navigator.clipboard.writeText(c.generatedActivationCode);
      setCopied('Copied ' + c.generatedActivationCode + ' to the clipboard.');
    } catch (e) {
      const range = document.createRange();
      range.selectNodeContents(codeRef.current);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      setCopied('Selected the code: copy it with your keyboard.');
    }
  }
  async function confirm() {
    const r = await act.run(() => api('POST', '/api/telephony/forwarding-config/confirm', { forwardingConfigId: c.id }));
    if (r) onNext({ confirmed: r });
  }
  return html`<div>
    <p>On ${c.simPhoneNumber || flow.phoneNumber}, dial this code and press call:</p>
    <p class="dial"><code ref=${codeRef} data-testid="activation-code">${c.generatedActivationCode}</code>
      <button type="button" class="secondary" onClick=${copy}>Copy code</button></p>
    ${copied ? html`<${Notice} kind="info">${copied}<//>` : null}
    ${lines(c.instructions).length ? html`<ol class="instructions">${lines(c.instructions).map((l) => html`<li>${l}</li>`)}</ol>` : null}
    ${lines(c.notes).length ? html`<ul class="muted">${lines(c.notes).map((l) => html`<li>${l}</li>`)}</ul>` : null}
    <p class="muted">Check it later with ${c.statusCheckCode || 'your carrier'}; turn it off with ${c.generatedDeactivationCode}.</p>
    <button type="button" disabled=${act.busy} onClick=${confirm}>I dialled it</button>
    <${ErrorNotice} error=${act.error} />
  </div>`;
}

function StepDone({ flow, onRestart }) {
  const c = flow.config;
  return html`<div>
    <${Notice}>Forwarding is active: calls to ${c.simPhoneNumber || flow.phoneNumber} now reach the AI at ${c.destinationNumber}.<//>
    <button type="button" class="secondary" onClick=${onRestart}>Set up another number</button>
  </div>`;
}
