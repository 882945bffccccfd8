// Starts Swagger UI on the page served by GET /docs. A file, not an inline script: the page's
// Content-Security-Policy runs only scripts from its own origin.
(() => {
  // The API this page is served by: its origin plus any stage path before `/docs`.
  const base = new URL('.', window.location.href).href.replace(/\/$/, '');
  fetch(`${base}/openapi.json`)
    .then((response) => response.json())
    .then((spec) => {
      // "Try it" sends real requests to the API that served this page, whatever the document says.
      spec.servers = [{ url: base, description: 'This API' }];
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
        layout: 'BaseLayout',
      });
    })
    .catch((error) => {
      const message = document.createElement('p');
      message.textContent = `Could not load ${base}/openapi.json: ${error}`;
      document.body.append(message);
    });
})();
