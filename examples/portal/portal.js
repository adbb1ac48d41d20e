// Usina's reference portal. Persisted queries over GET: the document's SHA-256 is sent first;
// on PERSISTED_QUERY_NOT_FOUND the full document is sent once with it, then hashes alone.
const params = new URLSearchParams(location.search);
const api = params.get('api') || 'http://127.0.0.1:8000/graphql';
const municipality = params.get('municipality') || 'demo';
const LANGUAGES = ['es', 'en', 'pt'];
const wanted = params.get('lang') || navigator.language.slice(0, 2);
let lang = LANGUAGES.includes(wanted) ? wanted : 'es';

const TEXTS = {
  es: {
    eyebrow: 'Plan de Acción de Gobierno Abierto', loading: 'Cargando el plan…',
    footer: 'Datos abiertos del municipio, publicados con Usina.', progress: 'Avance',
    lead: 'Responsable', milestones: 'Hitos', due: 'vence el', late: 'Atrasado',
    evidence: 'Evidencia', none: 'El municipio todavía no publicó un plan.',
    completion: 'Nivel de cumplimiento', evaluated: 'según la evaluación publicada',
    derived: 'estimado según el avance', objective: 'Objetivo',
    downloads: 'Descargar los datos', period: 'Vigencia',
    diagnostic: 'Diagnóstico', score: 'Puntaje general', gaps: 'Brechas detectadas',
    assessedOn: 'realizado el',
    consultation: 'Consulta ciudadana', proposals: 'propuestas', supports: 'apoyos',
    by: 'Propuesta de', anonymous: 'una persona participante', answer: 'Respuesta del municipio',
    ledTo: 'Dio lugar a', mergedInto: 'Se integró en', awaiting: 'Todavía sin respuesta.',
    record: 'Registro de la consulta', opened: 'del', closed: 'al',
    kpis: 'Indicadores', baseline: 'línea de base', target: 'meta', latest: 'último valor',
    changelog: 'Historial de versiones', version: 'Versión', published: 'publicada el',
    firstVersion: 'Primera versión publicada.', ratings: 'Evaluación',
    unreachable: 'No se pudo conectar con el servidor de datos del municipio. Revise su conexión e intente de nuevo.',
    failed: 'No se pudo cargar el plan', retry: 'Reintentar', logo: 'Escudo de',
    skip: 'Ir al contenido', language: 'Idioma',
    status: {
      PUBLISHED: 'Publicado', IMPLEMENTATION: 'En implementación', CLOSED: 'Cerrado',
      COCREATION: 'En cocreación', ARCHIVED: 'Archivado', NOT_STARTED: 'Sin iniciar',
      IN_PROGRESS: 'En curso', COMPLETED: 'Completado', CANCELLED: 'Cancelado',
    },
    level: { NOT_STARTED: 'Sin iniciar', LIMITED: 'Limitado', SUBSTANTIAL: 'Sustancial', COMPLETE: 'Completo' },
    outcome: { ACCEPTED: 'Incorporada al plan', MERGED: 'Integrada en otra propuesta', DECLINED: 'No incorporada' },
    state: { UPCOMING: 'Próximamente', OPEN: 'Abierta', CLOSED: 'Cerrada' },
  },
  en: {
    eyebrow: 'Open Government Action Plan', loading: 'Loading the plan…',
    footer: "The municipality's open data, published with Usina.", progress: 'Progress',
    lead: 'Lead agency', milestones: 'Milestones', due: 'due on', late: 'Delayed',
    evidence: 'Evidence', none: 'The municipality has not published a plan yet.',
    completion: 'Completion level', evaluated: 'according to the published evaluation',
    derived: 'estimated from progress', objective: 'Objective',
    downloads: 'Download the data', period: 'Period',
    diagnostic: 'Diagnostic', score: 'Overall score', gaps: 'Gaps found',
    assessedOn: 'carried out on',
    consultation: 'Public consultation', proposals: 'proposals', supports: 'supports',
    by: 'Proposed by', anonymous: 'a participant', answer: "The municipality's answer",
    ledTo: 'Led to', mergedInto: 'Merged into', awaiting: 'No answer yet.',
    record: 'Record of the consultation', opened: 'from', closed: 'to',
    kpis: 'Indicators', baseline: 'baseline', target: 'target', latest: 'latest value',
    changelog: 'Version history', version: 'Version', published: 'published on',
    firstVersion: 'First published version.', ratings: 'Evaluation',
    unreachable: "The municipality's data server could not be reached. Check your connection and try again.",
    failed: 'The plan could not be loaded', retry: 'Try again', logo: 'Coat of arms of',
    skip: 'Skip to the content', language: 'Language',
    status: {
      PUBLISHED: 'Published', IMPLEMENTATION: 'In implementation', CLOSED: 'Closed',
      COCREATION: 'In co-creation', ARCHIVED: 'Archived', NOT_STARTED: 'Not started',
      IN_PROGRESS: 'In progress', COMPLETED: 'Completed', CANCELLED: 'Cancelled',
    },
    level: { NOT_STARTED: 'Not started', LIMITED: 'Limited', SUBSTANTIAL: 'Substantial', COMPLETE: 'Complete' },
    outcome: { ACCEPTED: 'Taken into the plan', MERGED: 'Merged into another proposal', DECLINED: 'Not taken up' },
    state: { UPCOMING: 'Upcoming', OPEN: 'Open', CLOSED: 'Closed' },
  },
  pt: {
    eyebrow: 'Plano de Ação de Governo Aberto', loading: 'Carregando o plano…',
    footer: 'Dados abertos do município, publicados com o Usina.', progress: 'Avanço',
    lead: 'Responsável', milestones: 'Marcos', due: 'vence em', late: 'Atrasado',
    evidence: 'Evidência', none: 'O município ainda não publicou um plano.',
    completion: 'Nível de cumprimento', evaluated: 'segundo a avaliação publicada',
    derived: 'estimado pelo avanço', objective: 'Objetivo',
    downloads: 'Baixar os dados', period: 'Vigência',
    diagnostic: 'Diagnóstico', score: 'Pontuação geral', gaps: 'Lacunas encontradas',
    assessedOn: 'realizado em',
    consultation: 'Consulta pública', proposals: 'propostas', supports: 'apoios',
    by: 'Proposta de', anonymous: 'uma pessoa participante', answer: 'Resposta do município',
    ledTo: 'Deu origem a', mergedInto: 'Integrada em', awaiting: 'Ainda sem resposta.',
    record: 'Registro da consulta', opened: 'de', closed: 'a',
    kpis: 'Indicadores', baseline: 'linha de base', target: 'meta', latest: 'último valor',
    changelog: 'Histórico de versões', version: 'Versão', published: 'publicada em',
    firstVersion: 'Primeira versão publicada.', ratings: 'Avaliação',
    unreachable: 'Não foi possível conectar ao servidor de dados do município. Verifique a sua conexão e tente novamente.',
    failed: 'Não foi possível carregar o plano', retry: 'Tentar novamente', logo: 'Brasão de',
    skip: 'Ir para o conteúdo', language: 'Idioma',
    status: {
      PUBLISHED: 'Publicado', IMPLEMENTATION: 'Em implementação', CLOSED: 'Encerrado',
      COCREATION: 'Em cocriação', ARCHIVED: 'Arquivado', NOT_STARTED: 'Não iniciado',
      IN_PROGRESS: 'Em andamento', COMPLETED: 'Concluído', CANCELLED: 'Cancelado',
    },
    level: { NOT_STARTED: 'Não iniciado', LIMITED: 'Limitado', SUBSTANTIAL: 'Substancial', COMPLETE: 'Completo' },
    outcome: { ACCEPTED: 'Incorporada ao plano', MERGED: 'Integrada em outra proposta', DECLINED: 'Não incorporada' },
    state: { UPCOMING: 'Em breve', OPEN: 'Aberta', CLOSED: 'Encerrada' },
  },
};
const LOCALES = { es: 'es-AR', en: 'en-GB', pt: 'pt-BR' };
// The IRM criterion whose rating is the commitment's completion level.
const COMPLETION = 'COMPLETION';

class Unreachable extends Error {}

async function sha256(text) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function persistedGet(document, variables) {
  const hash = await sha256(document);
  const extensions = JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } });
  const send = async (withQuery) => {
    const url = new URL(api);
    url.searchParams.set('extensions', extensions);
    if (variables) url.searchParams.set('variables', JSON.stringify(variables));
    if (withQuery) url.searchParams.set('query', document);
    let response;
    try {
      response = await fetch(url, {
        headers: { 'X-Tenant': municipality, 'Accept-Language': lang, Accept: 'application/json' },
      });
    } catch (error) {
      throw new Unreachable(error.message);  // offline, DNS, CORS: the browser says no more
    }
    return response.json();
  };
  let answer = await send(false);
  if ((answer.errors || []).some((e) => e.extensions?.code === 'PERSISTED_QUERY_NOT_FOUND')) {
    answer = await send(true);
  }
  return answer;
}

const documents = {};
async function documentOf(name) {
  documents[name] ??= await (await fetch(name)).text();
  return documents[name];
}

const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  Object.entries(attrs).forEach(([k, v]) => { if (v !== undefined && v !== null) node.setAttribute(k, v); });
  children.flat().forEach((c) => { if (c !== '' && c != null) node.append(c instanceof Node ? c : document.createTextNode(c)); });
  return node;
};
const percent = (value) => Math.round(value);  // halves up, as the API's reports and e-mails
const bar = (value, label) => el('div', {
  class: 'bar', role: 'progressbar', 'aria-label': label, 'aria-valuemin': '0', 'aria-valuemax': '100',
  'aria-valuenow': String(percent(value)),
}, el('span', { style: `width: ${Math.max(0, Math.min(100, value))}%` }));

let timezone = 'UTC';
const day = (iso) => new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'long', timeZone: 'UTC' })
  .format(new Date(`${iso}T00:00:00Z`));
const moment = (iso) => new Intl.DateTimeFormat(LOCALES[lang], { dateStyle: 'long', timeZone: timezone })
  .format(new Date(iso));
const number = (value) => new Intl.NumberFormat(LOCALES[lang], { maximumFractionDigits: 2 }).format(value);

function section(title, className, ...children) {
  const content = children.flat().filter((c) => c !== '' && c != null);
  return content.length ? el('section', { class: className }, el('h2', {}, title), ...content) : '';
}

function downloads(t, files, label) {
  if (!files?.length) return '';
  return el('p', { class: 'downloads' }, `${label}: `,
    ...files.flatMap((f, i) => [i ? ' · ' : '', el('a', { href: f.url, download: '' }, f.format)]));
}

function renderDiagnostic(t, assessments) {
  return section(t.diagnostic, 'diagnostic', assessments.map((a) => el('article', {},
    el('h3', {}, a.title),
    el('p', { class: 'meta' }, `${a.instrument?.title?.[lang] ?? ''} · ${t.assessedOn} ${day(a.assessedOn)}`),
    a.overallScore != null ? el('p', {}, `${t.score}: ${number(a.overallScore)} / 100`,
      a.rating ? ` · ${a.rating.label[lang]}` : '') : '',
    a.dimensionScores.length ? el('ul', { class: 'dimensions' }, a.dimensionScores.filter((d) => d.score != null)
      .map((d) => el('li', {}, `${d.dimension.title[lang]}: ${number(d.score)}`))) : '',
    a.gaps.length ? el('details', {}, el('summary', {}, `${t.gaps} (${a.gaps.length})`),
      el('ul', {}, a.gaps.map((g) => el('li', {}, g.indicator.title[lang])))) : '')));
}

function renderConsultation(t, channel) {
  const proposals = channel.contributions.nodes;
  if (!proposals.length) return '';
  return el('section', { class: 'consultation' },
    el('h2', {}, `${t.consultation}: ${channel.title}`),
    el('p', { class: 'meta' }, `${t.state[channel.state] ?? channel.state} · ${t.opened} ${moment(channel.opensAt)} ${t.closed} ${moment(channel.closesAt)} · ${channel.contributions.totalCount} ${t.proposals}`),
    channel.description ? el('p', {}, channel.description) : '',
    downloads(t, channel.openData, t.record),
    el('ul', { class: 'proposals' }, proposals.map((p) => el('li', { class: 'proposal' },
      el('h3', {}, p.title),
      el('p', {}, p.body),
      el('p', { class: 'meta' }, `${t.by} ${p.authorName || t.anonymous} · ${moment(p.createdAt)} · ${p.supportCount} ${t.supports}`),
      p.outcome
        ? el('div', { class: `answer ${p.outcome.toLowerCase()}` },
          el('p', {}, el('strong', {}, `${t.answer}: ${t.outcome[p.outcome]}`)),
          el('p', {}, p.response),
          p.commitments.length ? el('p', { class: 'led-to' }, `${t.ledTo}: ${p.commitments.map((c) => `${c.code}. ${c.title}`).join('; ')}`) : '',
          p.mergedInto ? el('p', {}, `${t.mergedInto}: ${p.mergedInto.title}`) : '')
        : el('p', { class: 'answer pending' }, t.awaiting)))));
}

function completionOf(t, commitment) {
  const evaluated = commitment.evaluations.filter((e) => e.status === 'PUBLISHED')
    .flatMap((e) => e.ratings).find((r) => r.code === COMPLETION && r.value);
  if (evaluated) return `${evaluated.value.label[lang]} (${t.evaluated})`;
  return `${t.level[commitment.completionLevel] ?? commitment.completionLevel} (${t.derived})`;
}

function renderCommitment(t, c, kpis) {
  const ratings = c.evaluations.filter((e) => e.status === 'PUBLISHED')
    .flatMap((e) => e.ratings.filter((r) => r.value && r.code !== COMPLETION))
    .map((r) => el('li', {}, `${r.criterion?.title?.[lang] ?? r.code}: ${r.value.label[lang]}`));
  const milestones = c.milestones.nodes.map((m) => {
    const evidence = m.reports.nodes[0]?.evidence ?? [];
    return el('li', { class: 'milestone' },
      `${m.title} — ${t.status[m.status] ?? m.status}, ${percent(m.progress)} % (${t.due} ${day(m.endDate)}) `,
      m.isDelayed ? el('span', { class: 'badge late' }, t.late) : '',
      ...evidence.map((ev) => [' ', el('a', { href: ev.url }, `${t.evidence}: ${ev.title || ev.url}`)]));
  });
  const indicators = (kpis ?? []).map((k) => el('li', {},
    `${k.name}: ${k.latest ? `${number(k.latest.value)} ${k.unit} (${t.latest}, ${day(k.latest.measuredOn)})` : '—'}; `
    + `${t.baseline} ${number(k.baseline)}, ${t.target} ${number(k.target)}`
    + (k.achievement != null ? ` · ${percent(k.achievement)} %` : '')));
  return el('article', { class: 'commitment' },
    el('h3', {}, `${c.code}. ${c.title}`),
    c.objective ? el('p', {}, `${t.objective}: ${c.objective}`) : '',
    el('p', { class: 'meta' }, `${t.lead}: ${c.leadAgency?.name ?? '—'}`),
    el('p', {}, `${t.completion}: `, el('span', { class: 'badge' }, completionOf(t, c))),
    el('p', {}, `${t.progress}: ${percent(c.progress)} %`), bar(c.progress, `${t.progress} ${c.code}`),
    ratings.length ? [el('h4', {}, t.ratings), el('ul', { class: 'ratings' }, ratings)] : '',
    indicators.length ? [el('h4', {}, t.kpis), el('ul', { class: 'kpis' }, indicators)] : '',
    milestones.length ? [el('h4', {}, t.milestones), el('ul', { class: 'milestones' }, milestones)] : '');
}

function renderChangelog(t, versions) {
  return section(t.changelog, 'changelog', versions.length
    ? el('ol', { reversed: '' }, [...versions].reverse().map((v) => el('li', {},
      el('strong', {}, `${t.version} ${v.number}`), `, ${t.published} ${moment(v.publishedAt)}: `,
      v.note || t.firstVersion)))
    : '');
}

function brand(m, t) {
  document.documentElement.style.setProperty('--brand', m.primaryColor || '#2f6f4f');
  const logo = document.getElementById('logo');
  logo.replaceChildren(m.logoUrl ? el('img', { src: m.logoUrl, alt: `${t.logo} ${m.name}` }) : '');
  logo.hidden = !m.logoUrl;
}

function render(data, kpis) {
  const t = TEXTS[lang];
  const m = data.municipality;
  timezone = m.timezone || 'UTC';
  document.documentElement.lang = lang;
  document.title = `${t.eyebrow} · ${m.name}`;
  document.querySelectorAll('[data-text]').forEach((n) => { n.textContent = t[n.dataset.text]; });
  document.getElementById('municipality').textContent = m.name;
  brand(m, t);
  const main = document.getElementById('plans');
  main.replaceChildren();
  const plans = m.actionPlans.nodes;
  if (!plans.length) main.append(el('p', {}, t.none));
  main.append(renderDiagnostic(t, data.assessments.nodes));
  for (const plan of plans) {
    main.append(el('section', { class: 'plan' },
      el('h2', {}, plan.title),
      plan.summary ? el('p', {}, plan.summary) : '',
      el('p', { class: 'meta' }, `${t.status[plan.status] ?? plan.status} · ${t.period}: ${day(plan.startDate)} – ${day(plan.endDate)}`),
      el('p', {}, `${t.progress}: ${percent(plan.progress)} %`), bar(plan.progress, `${t.progress}: ${plan.title}`),
      downloads(t, plan.openData, t.downloads),
      plan.commitments.nodes.map((c) => renderCommitment(t, c, kpis[c.id]))));
    plan.channels.forEach((channel) => main.append(renderConsultation(t, channel)));
    main.append(renderChangelog(t, plan.versions));
  }
  document.body.dataset.state = 'ready';
}

function fail(error) {
  const t = TEXTS[lang];
  const message = error instanceof Unreachable ? t.unreachable : `${t.failed}: ${error.message}`;
  const retry = el('button', { type: 'button' }, t.retry);
  retry.addEventListener('click', load);
  document.getElementById('plans').replaceChildren(el('div', { class: 'error', role: 'alert' }, el('p', {}, message), retry));
  document.body.dataset.state = 'failed';
}

async function load() {
  document.documentElement.lang = lang;
  document.querySelector('nav').setAttribute('aria-label', TEXTS[lang].language);
  document.querySelectorAll('[data-text]').forEach((n) => { n.textContent = TEXTS[lang][n.dataset.text]; });
  document.querySelectorAll('[data-lang]').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.lang === lang)));
  try {
    const answer = await persistedGet(await documentOf('portal.graphql'));
    if (answer.errors && !answer.data) throw new Error(answer.errors.map((e) => e.message).join('; '));
    const kpis = {};
    const kpiDocument = await documentOf('kpis.graphql');
    const commitments = answer.data.municipality.actionPlans.nodes.flatMap((p) => p.commitments.nodes);
    await Promise.all(commitments.map(async (c) => {
      const found = await persistedGet(kpiDocument, { id: c.id });
      kpis[c.id] = found.data?.commitmentKpis ?? [];  // the plugin may be off: no indicators
    }));
    render(answer.data, kpis);
  } catch (error) {
    fail(error);
  }
}

document.querySelectorAll('[data-lang]').forEach((button) => button.addEventListener('click', () => {
  lang = button.dataset.lang;
  const address = new URL(location.href);
  address.searchParams.set('lang', lang);
  history.replaceState(null, '', address);
  load();
}));
load();
