// Live updates of the review queue. The page works without this file (it
// is reloaded by hand); with it, the server's Server-Sent Events at
// /desk/events say when something changed (a story held, approved,
// rejected, edited, scheduled, killed, an agency update pending), and the
// queue is fetched again and swapped in place.
(function () {
  'use strict';
  var status = document.getElementById('live-status');
  var queue = document.getElementById('queue');
  if (!status || !queue || !window.EventSource || !window.fetch || !window.DOMParser) {
    return;
  }
  var kinds = ['held', 'pending', 'approved', 'rejected', 'edited', 'scheduled', 'accepted', 'ignored', 'killed'];
  var source = new EventSource(status.getAttribute('data-events'));
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(window.location.pathname, { credentials: 'same-origin', headers: { Accept: 'text/html' } })
      .then(function (resp) {
        if (!resp.ok) {
          throw new Error('review queue answered ' + resp.status);
        }
        return resp.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, 'text/html').getElementById('queue');
        if (fresh) {
          queue.replaceWith(fresh);
          queue = fresh;
        }
      })
      .catch(function () {
        status.textContent = 'The queue could not be updated; reload the page.';
      })
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  kinds.forEach(function (kind) {
    source.addEventListener(kind, function (ev) {
      var data = {};
      try {
        data = JSON.parse(ev.data);
      } catch (e) {
        // an event without data still means the queue changed
      }
      status.textContent = 'Live: story ' + (data.story_id || '?') + ' ' + kind + (data.actor ? ' by ' + data.actor : '') + '.';
      queue.setAttribute('data-last-event', ev.lastEventId);
      refresh();
    });
  });
  source.addEventListener('open', function () {
    status.textContent = 'Live: the queue updates by itself.';
  });
  source.addEventListener('error', function () {
    if (source.readyState === EventSource.CLOSED) {
      status.textContent = 'Live updates are off; reload the page to see changes.';
    } else {
      status.textContent = 'Live updates paused; reconnecting…';
    }
  });
})();
