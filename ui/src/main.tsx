import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { PanelApi } from './api.js';
import { App } from './app.js';
import { ApiContext } from './hooks.js';
import './styles.css';

const root = document.getElementById('root');
if (root === null) throw new Error('index.html has no #root');
const api = new PanelApi({ fetch: (input, init) => window.fetch(input, init) });
createRoot(root).render(
  <StrictMode>
    <ApiContext.Provider value={api}>
      <App />
    </ApiContext.Provider>
  </StrictMode>,
);
