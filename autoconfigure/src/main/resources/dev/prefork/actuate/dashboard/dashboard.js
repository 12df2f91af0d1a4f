/*
 * Prefork dashboard: polls the actuator endpoint every second and redraws the page.
 *
 * No framework and no innerHTML: every piece of data goes in with textContent or setAttribute,
 * so nothing the server sends (exception messages, paths) can become markup.
 */
(() => {
	'use strict';

	// The page is served at {endpoint}/dashboard: its own URL without the last segment is the
	// endpoint, whatever the actuator's base path, spring.webflux.base-path or management port.
	const ENDPOINT = new URL('.', document.baseURI).pathname.replace(/\/$/, '');
	const POLL_MS = 1000;
	const TIMEOUT_MS = 3000;
	const HISTORY = 60;
	const MAX_EXCEPTION_ROWS = 25;
	const SVG_NS = 'http://www.w3.org/2000/svg';

	const $ = (id) => document.getElementById(id);

	let renders = 0;
	let lastSample = null;
	let exceptionsTotalShown = null;
	const history = { requests: [], rejected: [] };

	// --- formatting -------------------------------------------------------------------------

	function formatNumber(value) {
		if (typeof value !== 'number') {
			return 'n/a';
		}
		return Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(1);
	}

	function formatDuration(seconds) {
		let s = Math.max(0, Math.floor(seconds));
		const d = Math.floor(s / 86400);
		s -= d * 86400;
		const h = Math.floor(s / 3600);
		s -= h * 3600;
		const m = Math.floor(s / 60);
		s -= m * 60;
		const pad = (n) => String(n).padStart(2, '0');
		if (d > 0) {
			return d + 'd ' + pad(h) + 'h ' + pad(m) + 'm';
		}
		if (h > 0) {
			return h + 'h ' + pad(m) + 'm ' + pad(s) + 's';
		}
		return m > 0 ? m + 'm ' + pad(s) + 's' : s + 's';
	}

	function formatRate(value) {
		return value < 10 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
	}

	// Instants come with nanoseconds ("...:29.673151527Z"); Date wants at most milliseconds.
	function parseInstant(text) {
		if (typeof text !== 'string') {
			return null;
		}
		const date = new Date(text.replace(/(\.\d{3})\d+/, '$1'));
		return Number.isNaN(date.getTime()) ? null : date;
	}

	function formatTime(date) {
		const pad = (n, w) => String(n).padStart(w || 2, '0');
		return pad(date.getHours()) + ':' + pad(date.getMinutes()) + ':' + pad(date.getSeconds()) + '.'
				+ pad(date.getMilliseconds(), 3);
	}

	function request(method, path) {
		return [method, path].filter((part) => part != null).join(' ') || '—';
	}

	function simpleName(type) {
		return typeof type === 'string' ? type.substring(type.lastIndexOf('.') + 1) : '';
	}

	// --- DOM helpers (text only) --------------------------------------------------------------

	function el(tag, props, ...children) {
		const node = document.createElement(tag);
		for (const [key, value] of Object.entries(props || {})) {
			if (value === undefined || value === null) {
				continue;
			}
			if (key === 'class') {
				node.className = value;
			}
			else if (key === 'text') {
				node.textContent = String(value);
			}
			else if (key === 'style') {
				Object.assign(node.style, value);
			}
			else {
				node.setAttribute(key, String(value));
			}
		}
		for (const child of children) {
			if (child !== null && child !== undefined) {
				node.append(child);
			}
		}
		return node;
	}

	function setValue(node, value, format) {
		if (value === undefined || value === null) {
			node.textContent = 'n/a';
			node.dataset.value = '';
			return;
		}
		node.dataset.value = String(value);
		node.textContent = (format === 'duration') ? formatDuration(value) : formatNumber(value);
	}

	function lookup(object, path) {
		return path.split('.').reduce((current, key) => (current == null ? undefined : current[key]), object);
	}

	function emptyRow(columns, text) {
		return el('tr', {}, el('td', { class: 'empty', colspan: columns, text }));
	}

	function bar(value, pool, max, label) {
		const percent = (n) => (max > 0 ? Math.min(100, (100 * n) / max) : 0) + '%';
		const node = el('div', { class: 'bar' + (max > 0 && value >= max ? ' full' : '') });
		if (pool !== null) {
			node.append(el('span', { class: 'pool', style: { width: percent(pool) } }));
		}
		node.append(el('span', { class: 'fill', style: { width: percent(value) } }));
		return el('div', {}, node, el('span', { class: 'bar-label', text: label }));
	}

	// --- rendering ----------------------------------------------------------------------------

	function renderFields(prefork) {
		for (const node of document.querySelectorAll('[data-path]')) {
			setValue(node, lookup(prefork, node.dataset.path), node.dataset.format);
		}
	}

	function renderRates(totals, now) {
		if (lastSample !== null) {
			const seconds = (now - lastSample.time) / 1000;
			// The requests total only sums the workers the arbiter still knows: it drops when a
			// retired worker leaves. Clamp, so a replacement does not show as negative traffic.
			const requests = Math.max(0, totals.requests - lastSample.requests) / seconds;
			const rejected = Math.max(0, totals.rejected - lastSample.rejected) / seconds;
			pushRate('requests', requests);
			pushRate('rejected', rejected);
		}
		lastSample = { time: now, requests: totals.requests, rejected: totals.rejected };
	}

	function pushRate(name, value) {
		const values = history[name];
		values.push(value);
		if (values.length > HISTORY) {
			values.shift();
		}
		const text = $('rate-' + name);
		text.dataset.value = value.toFixed(3);
		text.textContent = formatRate(value);
		drawSparkline($('spark-' + name), values);
	}

	// A fixed 60-sample window, newest on the right: a line and the area under it.
	function drawSparkline(svg, values) {
		const max = Math.max(1, ...values);
		const step = 100 / (HISTORY - 1);
		const offset = HISTORY - values.length;
		const points = values.map((v, i) => [(offset + i) * step, 29 - (v / max) * 27]);
		if (points.length === 1) {
			points.unshift([100 - step, points[0][1]]);
		}
		const text = (list) => list.map(([x, y]) => x.toFixed(2) + ',' + y.toFixed(2)).join(' ');
		const line = document.createElementNS(SVG_NS, 'polyline');
		line.setAttribute('points', text(points));
		const area = document.createElementNS(SVG_NS, 'polygon');
		area.setAttribute('points', text([[points[0][0], 30], ...points, [100, 30]]));
		svg.replaceChildren(area, line);
		svg.dataset.samples = String(values.length);
		svg.dataset.max = String(max);
	}

	function renderWorkers(workers) {
		const now = Date.now();
		const rows = workers.map((worker) => {
			const started = parseInstant(worker.startedAt);
			const threads = worker.threads || {};
			const queue = worker.queue || {};
			const last = worker.lastException;
			const num = (field, value) => el('td', { class: 'num', 'data-field': field, 'data-value': value,
				text: formatNumber(value) });
			return el('tr', { 'data-worker-id': worker.id, 'data-state': worker.state },
				el('td', { class: 'mono', 'data-field': 'id', text: worker.id }),
				el('td', { 'data-field': 'state' },
					el('span', { class: 'state ' + worker.state, text: worker.state }),
					worker.exitReason ? el('span', { class: 'sub', text: worker.exitReason }) : null),
				el('td', { class: 'num', 'data-field': 'age', 'data-value': worker.age,
					title: 'spawn counter (gunicorn\'s age): higher is younger', text: '#' + worker.age }),
				el('td', { class: 'num', 'data-field': 'uptime', title: worker.startedAt,
					text: started ? formatDuration((now - started.getTime()) / 1000) : 'n/a' }),
				num('requests', worker.requests),
				num('inFlight', worker.inFlight),
				el('td', { 'data-field': 'threads', 'data-active': threads.active, 'data-pool': threads.pool,
					'data-max': threads.max },
					bar(threads.active, threads.pool, threads.max,
						threads.active + ' / ' + threads.pool + ' / ' + threads.max)),
				el('td', { 'data-field': 'queue', 'data-depth': queue.depth, 'data-capacity': queue.capacity },
					bar(queue.depth, null, queue.capacity,
						queue.depth + ' / ' + queue.capacity + (queue.capacity === 0 ? ' (no queue)' : ''))),
				num('exceptions', worker.exceptions),
				el('td', { 'data-field': 'lastException', 'data-type': last ? last.type : null },
					last ? el('span', { class: 'mono exc-type', title: last.type, text: simpleName(last.type) }) : '—',
					last ? el('span', { class: 'sub mono', text: request(last.method, last.path) }) : null));
		});
		$('workers').replaceChildren(...(rows.length ? rows : [emptyRow(10, 'no workers')]));
		$('workers-count').textContent = '(' + workers.length + ')';
	}

	function renderExceptions(exceptions) {
		setValue($('exceptions-total'), exceptions.total);
		const counts = Object.entries(exceptions.countsByType || {}).sort((a, b) => b[1] - a[1]);
		$('exceptions-by-type').replaceChildren(...counts.map(([type, count]) =>
			el('span', { class: 'chip', 'data-type': type, 'data-count': count, title: type,
				text: simpleName(type) + ' × ' + formatNumber(count) })));
		const recent = exceptions.recent || [];
		const rows = recent.slice(0, MAX_EXCEPTION_ROWS).map((entry) => {
			const time = parseInstant(entry.time);
			return el('tr', { 'data-exception-type': entry.type },
				el('td', { class: 'mono', 'data-field': 'time', title: entry.time,
					text: time ? formatTime(time) : 'n/a' }),
				el('td', { class: 'mono exc-type', 'data-field': 'type', text: entry.type }),
				el('td', { class: 'wrap', 'data-field': 'message', text: entry.message != null ? entry.message : '—' }),
				el('td', { class: 'num', 'data-field': 'workerId', text: entry.workerId }),
				el('td', { class: 'mono', 'data-field': 'thread', text: entry.thread }),
				el('td', { class: 'mono', 'data-field': 'request', text: request(entry.method, entry.path) }));
		});
		if (recent.length > MAX_EXCEPTION_ROWS) {
			rows.push(emptyRow(6, 'and ' + (recent.length - MAX_EXCEPTION_ROWS) + ' older ones kept by the server'));
		}
		$('exceptions').replaceChildren(...(rows.length ? rows : [emptyRow(6, 'no exceptions since start')]));
		exceptionsTotalShown = exceptions.total;
	}

	function setLive() {
		document.body.dataset.state = 'live';
		$('status').textContent = 'live';
		$('unreachable').hidden = true;
		$('last-update').textContent = formatTime(new Date());
		renders++;
		document.body.dataset.lastUpdate = String(renders);
	}

	function setUnreachable(error) {
		document.body.dataset.state = 'unreachable';
		$('status').textContent = 'unreachable';
		$('unreachable-reason').textContent = error && error.message ? error.message : String(error);
		$('unreachable').hidden = false;
	}

	// --- polling ------------------------------------------------------------------------------

	async function getJson(path) {
		const controller = new AbortController();
		const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
		try {
			const response = await fetch(path, { cache: 'no-store', signal: controller.signal,
				headers: { Accept: 'application/json' } });
			if (!response.ok) {
				throw new Error('GET ' + path + ' answered ' + response.status
						+ (response.status === 503 ? ' (server saturated or stopping)' : ''));
			}
			return await response.json();
		}
		catch (error) {
			if (error.name === 'AbortError') {
				throw new Error('GET ' + path + ' gave no answer within ' + (TIMEOUT_MS / 1000) + ' s');
			}
			if (error instanceof TypeError) {
				throw new Error('GET ' + path + ' failed (' + error.message + ')');
			}
			throw error;
		}
		finally {
			clearTimeout(timer);
		}
	}

	async function poll() {
		const started = performance.now();
		try {
			const prefork = await getJson(ENDPOINT);
			const arrived = performance.now();
			if (!prefork || !prefork.arbiter || !prefork.totals) {
				throw new Error('GET ' + ENDPOINT + ' answered something else than Prefork\'s figures');
			}
			// The ring only changes when an exception is recorded, and then the total moves.
			const exceptions = (prefork.totals.exceptions !== exceptionsTotalShown)
				? await getJson(ENDPOINT + '/exceptions') : null;
			try {
				renderFields(prefork);
				renderRates(prefork.totals, arrived);
				renderWorkers(prefork.workers || []);
				if (exceptions) {
					renderExceptions(exceptions);
				}
			}
			catch (error) {
				throw new Error('the answer could not be shown (' + error + ')');
			}
			setLive();
		}
		catch (error) {
			setUnreachable(error);
		}
		finally {
			setTimeout(poll, Math.max(0, POLL_MS - (performance.now() - started)));
		}
	}

	$('endpoint').textContent = ENDPOINT;
	poll();
})();
