// Usina's reference portal. Persisted queries over GET: the document's SHA-256 is sent first;
// on PERSISTED_QUERY_NOT_FOUND the full document is sent once with it, then hashes alone.
const params = new URLSearchParams(location.search);
const api = params.get('api') || 'http://127.0.0.1:8000/graphql';
const municipality = params.get('municipality') || 'demo';
let lang = ['en', 'pt'].includes(params.get('lang')) ? params.get('lang') : 'es';

const TEXTS = {
  es: {
    eyebrow: 'Plan de Acción de Gobierno Abierto', loading: 'Cargando el plan…',
    footer: 'Datos abiertos del municipio, publicados con Usina.', progress: 'Avance',
    lead: 'Responsable', milestones: 'Hitos', due: 'vence', late: 'Atrasado',
    evidence: 'Evidencia', completion: 'Nivel de cumplimiento', none: 'Sin planes publicados.',
    failed: 'No se pudo cargar el plan', status: {
      PUBLISHED: 'Publicado', IMPLEMENTATION: 'En implementación', CLOSED: 'Cerrado',
      COCREATION: 'En cocreación', ARCHIVED: 'Archivado', NOT_STARTED: 'Sin iniciar',
      IN_PROGRESS: 'En curso', COMPLETED: 'Completado', CANCELLED: 'Cancelado',
    },
    level: { NOT_STARTED: 'Sin iniciar', LIMITED: 'Limitado', SUBSTANTIAL: 'Sustancial', COMPLETE: 'Completo' },
  },
  en: {
    eyebrow: 'Open Government Action Plan', loading: 'Loading the plan…',
    footer: "The municipality's open data, published with Usina.", progress: 'Progress',
    lead: 'Lead agency', milestones: 'Milestones', due: 'due', late: 'Delayed',
    evidence: 'Evidence', completion: 'Completion level', none: 'No published plans.',
    failed: 'The plan could not be loaded', status: {
      PUBLISHED: 'Published', IMPLEMENTATION: 'In implementation', CLOSED: 'Closed',
      COCREATION: 'In co-creation', ARCHIVED: 'Archived', NOT_STARTED: 'Not started',
      IN_PROGRESS: 'In progress', COMPLETED: 'Completed', CANCELLED: 'Cancelled',
    },
    level: { NOT_STARTED: 'Not started', LIMITED: 'Limited', SUBSTANTIAL: 'Substantial', COMPLETE: 'Complete' },
  },
  pt: {
    eyebrow: 'Plano de Ação de Governo Aberto', loading: 'Carregando o plano…',
    footer: 'Dados abertos do município, publicados com o Usina.', progress: 'Avanço',
    lead: 'Responsável', milestones: 'Marcos', due: 'vence', late: 'Atrasado',
    evidence: 'Evidência', completion: 'Nível de cumprimento', none: 'Nenhum plano publicado.',
    failed: 'Não foi possível carregar o plano', status: {
      PUBLISHED: 'Publicado', IMPLEMENTATION: 'Em implementação', CLOSED: 'Encerrado',
      COCREATION: 'Em cocriação', ARCHIVED: 'Arquivado', NOT_STARTED: 'Não iniciado',
      IN_PROGRESS: 'Em andamento', COMPLETED: 'Concluído', CANCELLED: 'Cancelado',
    },
    level: { NOT_STARTED: 'Não iniciado', LIMITED: 'Limitado', SUBSTANTIAL: 'Substancial', COMPLETE: 'Completo' },
  },
};

async function sha256(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function persistedGet(document) {
  const hash = await sha256(document);
  const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } });
  const send = async (withQuery) => {
    const url = new URL(api);
    url.searchParams.set('extensions', extensions);
    if (withQuery) url.searchParams.set('query', document);
    const response = await fetch(url, {
      headers: { 'X-Tenant': municipality, 'Accept-Language': lang, Accept: 'application/json' },
    });
    return response.json();
  };
  let answer = await send(false);
  if ((answer.errors || []).some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND')) {
    answer = await send(true);
  }
  if (answer.errors) throw new Error(answer.errors.map((e) => e.message).join('; '));
  return answer.data;
}

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => node.setAttribute(k, v));
  children.flat().forEach((c) => node.append(c instanceof Node ? c : document.createTextNode(c)));
  return node;
};
const bar = (percent) => el('div', { class: 'bar', role: 'progressbar', 'aria-valuenow': String(Math.round(percent)) },
  el('span', { style: `width: ${Math.max(0, Math.min(100, percent))}%` }));

function render(data) {
  const t = TEXTS[lang];
  document.documentElement.lang = lang;
  document.querySelectorAll('[data-text]').forEach((n) => { n.textContent = t[n.dataset.text]; });
  document.getElementById('municipality').textContent = data.municipality.name;
  const plans = document.getElementById('plans');
  plans.replaceChildren();
  const nodes = data.municipality.actionPlans.nodes;
  if (!nodes.length) plans.append(el('p', {}, t.none));
  for (const plan of nodes) {
    const section = el('section', { class: 'plan' },
      el('h2', {}, plan.title),
      el('p', { class: 'meta' }, `${t.status[plan.status] ?? plan.status} · ${plan.startDate} – ${plan.endDate}`),
      el('p', {}, `${t.progress}: ${Math.round(plan.progress)} %`), bar(plan.progress));
    for (const c of plan.commitments.nodes) {
      const ratings = c.evaluations.filter((e) => e.status === 'PUBLISHED')
        .flatMap((e) => e.ratings.filter((r) => r.value))
        .map((r) => el('li', {}, `${r.criterion?.title?.[lang] ?? r.code}: ${r.value.label[lang]}`));
      const milestones = c.milestones.nodes.map((m) => {
        const evidence = m.reports.nodes[0]?.evidence ?? [];
        return el('li', { class: 'milestone' },
          `${m.title} — ${t.status[m.status] ?? m.status}, ${Math.round(m.progress)} % (${t.due} ${m.endDate}) `,
          m.isDelayed ? el('span', { class: 'badge late' }, t.late) : '',
          ...evidence.map((ev) => [' ', el('a', { href: ev.url }, `${t.evidence}: ${ev.title || ev.url}`)]));
      });
      section.append(el('article', { class: 'commitment' },
        el('h3', {}, `${c.code}. ${c.title}`),
        el('p', { class: 'meta' }, `${t.lead}: ${c.leadAgency?.name ?? '—'} · ${t.completion}: `,
          el('span', { class: 'badge' }, t.level[c.completionLevel] ?? c.completionLevel)),
        bar(c.progress), ratings.length ? el('ul', { class: 'ratings' }, ratings) : '',
        el('h4', {}, t.milestones), el('ul', { class: 'milestones' }, milestones)));
    }
    plans.append(section);
  }
  document.body.dataset.state = 'ready';
}

async function load() {
  try {
    const document_ = await (await fetch('portal.graphql')).text();
    render(await persistedGet(document_));
  } catch (error) {
    document.getElementById('plans').replaceChildren(el('p', { class: 'error' }, `${TEXTS[lang].failed}: ${error.message}`));
    document.body.dataset.state = 'failed';
  }
}

document.querySelectorAll('[data-lang]').forEach((a) => a.addEventListener('click', (event) => {
  event.preventDefault();
  lang = a.dataset.lang;
  load();
}));
load();
