// Starts Swagger UI on the page served by GET /docs. A file, not an inline script: the page's
// Content-Security-Policy runs only scripts from its own origin.
(() => {
  // The API this page is served by: its origin plus any stage path before `/docs`.
  const base = new URL('.', window.location.href).href.replace(/\/$/, '');
  const intro = document.getElementById('intro');
  const data = intro ? intro.dataset : {};

  // A local backend names itself localhost; a phone that loaded this page over the network
  // reaches its WebSocket API at the same host the page came from.
  const webSocketCode = document.getElementById('websocket-url');
  if (webSocketCode && data.websocketUrl) {
    const url = new URL(data.websocketUrl);
    if (
      ['localhost', '127.0.0.1'].includes(url.hostname) &&
      !['localhost', '127.0.0.1'].includes(location.hostname)
    ) {
      url.hostname = location.hostname;
    }
    webSocketCode.textContent = url.href.replace(/\/$/, '');
  }

  /**
   * The layout: every operation first, then the overview (the document's description with the
   * problem types) and the schemas. Swagger UI's own layout puts the long overview on top.
   */
  const OperationsFirst = (system) => {
    const h = system.React.createElement;
    function OperationsFirstLayout({ getComponent }) {
      const SvgAssets = getComponent('SvgAssets');
      const Errors = getComponent('errors', true);
      const Info = getComponent('InfoContainer', true);
      const Operations = getComponent('operations', true);
      const Models = getComponent('Models', true);
      const Servers = getComponent('ServersContainer', true);
      const Authorize = getComponent('AuthorizeBtnContainer', true);
      const Filter = getComponent('FilterContainer', true);
      const Row = getComponent('Row');
      const Col = getComponent('Col');
      return h(
        'div',
        { className: 'swagger-ui' },
        h(SvgAssets),
        h(Errors),
        h(
          'div',
          { className: 'scheme-container' },
          h(
            Col,
            { className: 'schemes wrapper', mobile: 12 },
            h('div', { className: 'schemes-server-container' }, h(Servers)),
            h(Authorize),
          ),
        ),
        h(Filter),
        h('main', { id: 'operations' }, h(Row, null, h(Col, { mobile: 12, desktop: 12 }, h(Operations)))),
        h(
          'section',
          { id: 'overview' },
          h(Row, { className: 'information-container' }, h(Col, { mobile: 12 }, h(Info))),
        ),
        h(Row, null, h(Col, { mobile: 12, desktop: 12 }, h(Models))),
      );
    }
    return { components: { OperationsFirstLayout } };
  };

  fetch(`${base}/openapi.json`)
    .then((response) => response.json())
    .then((spec) => {
      // "Try it" sends real requests to the API that served this page, whatever the document says.
      spec.servers = [{ url: base, description: 'This API' }];
      // Locally, the sign-in example is an account the backend seeded, so "Execute" signs in.
      const login = spec.paths?.['/auth/login']?.post?.requestBody?.content?.['application/json'];
      if (login && data.signInEmail && data.signInPassword) {
        login.example = { email: data.signInEmail, password: data.signInPassword };
        delete login.examples;
      }
      window.ui = window.SwaggerUIBundle({
        spec,
        dom_id: '#swagger-ui',
        deepLinking: true,
        displayOperationId: true,
        displayRequestDuration: true,
        defaultModelsExpandDepth: 0,
        docExpansion: 'list',
        showCommonExtensions: true,
        // No validator badge: it would send the document to a third-party service.
        validatorUrl: null,
        presets: [window.SwaggerUIBundle.presets.apis],
        plugins: [OperationsFirst],
        layout: 'OperationsFirstLayout',
      });
    })
    .catch((error) => {
      const message = document.createElement('p');
      message.textContent = `Could not load ${base}/openapi.json: ${error}`;
      document.body.append(message);
    });
})();
