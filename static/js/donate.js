// Donate page: live tax-relief line, then the Stripe flow the offline Stripe
// can also run: confirm a SetupIntent in the browser, let the server create
// and confirm the PaymentIntent, and complete 3-D Secure here if asked.
(function () {
  "use strict";

  const form = document.getElementById("donate-form");
  if (!form) return;
  const messages = JSON.parse(document.getElementById("donate-messages").textContent);
  const amountInput = form.querySelector("[name=amount]");
  const taxLine = document.getElementById("tax-line");
  const formMessage = document.getElementById("form-message");
  const formStatus = document.getElementById("form-status");
  const submit = document.getElementById("donate-submit");
  const lang = form.dataset.lang || "fr";
  const locale = lang === "fr" ? "fr-FR" : "en-GB";
  const currencySelect = form.querySelector("[name=currency]");
  const unit = document.getElementById("amount-unit");
  const presets = form.querySelector(".presets");
  const ifiBox = document.getElementById("ifi-preview");
  const ifiData = document.getElementById("donate-ifi");
  const ifi = ifiData ? JSON.parse(ifiData.textContent) : null;

  function currency() {
    return (currencySelect && currencySelect.value) || form.dataset.currency || "EUR";
  }

  function formatter() {
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency() });
  }

  function kind() {
    const checked = form.querySelector("[name=kind]:checked");
    return checked ? checked.value : "individual";
  }

  // Cents as integers so the preview never shows a float artefact.
  function toCents(text) {
    let value = (text || "").replace(/[\s\u00a0\u202f]/g, "");
    if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(value)) value = value.replace(/,/g, "");
    const match = /^(\d{1,12})(?:[.,](\d{1,2}))?$/.exec(value);
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt((match[2] || "0").padEnd(2, "0"), 10);
  }

  const rulesNode = document.getElementById("donate-company-rules");
  const companyRules = rulesNode ? JSON.parse(rulesNode.textContent) : null;
  const turnoverInput = document.getElementById("turnover-preview");
  if (turnoverInput) turnoverInput.addEventListener("input", () => updateTaxLine());

  function updateTaxLine() {
    const cents = toCents(amountInput.value);
    if (cents === null || cents <= 0 || !taxedInFrance()) {
      taxLine.textContent = "";
      return;
    }
    const company = kind() === "company";
    const useIfi = !company && ifi && ifiBox && ifiBox.checked;
    if (useIfi && !(currency() in ifi.caps)) {
      taxLine.textContent = "";
      return;
    }
    let rate = company ? form.dataset.taxCompany : form.dataset.taxIndividual;
    if (useIfi) rate = ifi.rate;
    const rateBasisPoints = Math.round(parseFloat(rate) * 10000);
    let reliefCents = Math.round((cents * rateBasisPoints) / 10000);
    if (useIfi) reliefCents = Math.min(reliefCents, toCents(ifi.caps[currency()]));
    let text = company ? messages.cost_company : messages.cost;
    if (company && companyRules && currency() === "EUR") {
      // As campaigns.tax.company_reduction: gifts count up to the ceiling
      // (a sum or a share of turnover), the part above the threshold at the
      // lower rate; the rest carries over.
      const bp = (value) => Math.round(parseFloat(value) * 10000);
      let ceiling = toCents(companyRules.ceiling);
      const turnover = turnoverInput ? toCents(turnoverInput.value) : null;
      if (turnover) ceiling = Math.max(ceiling, Math.round((turnover * bp(companyRules.share)) / 10000));
      const eligible = Math.min(cents, ceiling);
      const low = Math.min(eligible, toCents(companyRules.threshold));
      reliefCents =
        Math.round((low * bp(companyRules.rate)) / 10000) +
        Math.round(((eligible - low) * bp(companyRules.rate_above)) / 10000);
      if (cents > ceiling) text = messages.cost_company_ceiling;
    }
    const costCents = cents - reliefCents;
    if (useIfi) text = ifi.message;
    taxLine.textContent = text.replace("%(cost)s", formatter().format(costCents / 100));
  }

  // Suggested amounts are in the campaign's currency: shown only with it.
  function updateCurrency() {
    const symbol = formatter()
      .formatToParts(0)
      .find((part) => part.type === "currency");
    if (unit && symbol) unit.textContent = symbol.value;
    if (presets) {
      const own = currency() === (form.dataset.currency || "EUR");
      presets.hidden = !own;
      if (!own) {
        presets.querySelectorAll(".preset").forEach((b) => b.setAttribute("aria-pressed", "false"));
      }
    }
    updateTaxLine();
  }

  function taxedInFrance() {
    const checked = form.querySelector("[name=taxed_in_france]:checked");
    return !checked || checked.value === "yes";
  }

  function method() {
    const checked = form.querySelector("[name=method]:checked");
    return checked ? checked.value : "card";
  }

  function updateKind() {
    form.classList.toggle("is-company", kind() === "company");
    form.classList.toggle("not-taxed", !taxedInFrance());
    const monthly = form.querySelector("[name=frequency]:checked");
    form.classList.toggle("is-monthly", !!monthly && monthly.value === "monthly");
    form.classList.toggle("is-sepa", method() === "sepa");
    updateTaxLine();
  }

  form.querySelectorAll(".preset").forEach(function (button) {
    button.addEventListener("click", function () {
      amountInput.value = button.dataset.amount;
      form.querySelectorAll(".preset").forEach((b) => b.setAttribute("aria-pressed", "false"));
      button.setAttribute("aria-pressed", "true");
      updateTaxLine();
    });
  });
  amountInput.addEventListener("input", function () {
    form.querySelectorAll(".preset").forEach((b) => b.setAttribute("aria-pressed", "false"));
    updateTaxLine();
  });
  form
    .querySelectorAll("[name=kind], [name=taxed_in_france], [name=frequency], [name=method]")
    .forEach((r) => r.addEventListener("change", updateKind));
  if (currencySelect) currencySelect.addEventListener("change", updateCurrency);
  if (ifiBox) ifiBox.addEventListener("change", updateTaxLine);
  updateKind();
  if (currencySelect) updateCurrency();

  const stripe = Stripe(form.dataset.stripeKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");

  function clearErrors() {
    formMessage.textContent = "";
    formStatus.textContent = "";
    form.querySelectorAll(".field").forEach(function (field) {
      field.classList.remove("has-error");
      const error = field.querySelector(".error");
      if (error) error.textContent = "";
      const input = field.querySelector("input, select, textarea");
      if (input) input.removeAttribute("aria-invalid");
    });
  }

  function showErrors(errors) {
    let first = null;
    let unplaced = "";
    Object.keys(errors).forEach(function (name) {
      const text = errors[name].map((e) => e.message).join(" ");
      const field = form.querySelector('[data-field="' + name + '"]');
      if (!field) {
        unplaced += " " + text;
        return;
      }
      field.classList.add("has-error");
      field.querySelector(".error").textContent = text;
      const input = field.querySelector("input, select, textarea");
      if (input) {
        input.setAttribute("aria-invalid", "true");
        input.setAttribute("aria-describedby", name + "-error");
        first = first || input;
      }
    });
    formMessage.textContent = messages.check_form + unplaced;
    if (first) first.focus();
  }

  function fail(text) {
    formStatus.textContent = "";
    formMessage.textContent = text || messages.failed;
    submit.disabled = false;
    submit.removeAttribute("aria-busy");
  }

  async function postJSON(url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
      },
      body: JSON.stringify(body),
      credentials: "same-origin",
    });
    return { status: response.status, data: await response.json() };
  }

  // A gift whose card was set up but whose charge got no answer (Stripe or
  // our server unreachable). The next click retries that same charge: the
  // server's idempotency key returns the first payment if it went through,
  // so the donor is never charged twice. Editing the gift starts afresh.
  let pending = null;
  form.addEventListener("change", function (event) {
    if (event.target.name && !event.target.closest("#card-element")) pending = null;
  });

  async function startGift() {
    const response = await fetch(form.action, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new FormData(form),
      credentials: "same-origin",
    });
    const data = await response.json();
    if (response.status === 400 && data.errors) {
      showErrors(data.errors);
      fail(formMessage.textContent);
      return null;
    }
    if (!response.ok) {
      fail(data.error);
      return null;
    }
    let setup;
    if (data.method === "sepa") {
      // The IBAN goes to Stripe as typed; the mandate was shown above and its
      // acceptance stored by our server with the gift.
      setup = await stripe.confirmSepaDebitSetup(data.client_secret, {
        payment_method: {
          sepa_debit: { iban: form.querySelector("[name=iban]").value.replace(/\s/g, "") },
          billing_details: { name: data.billing_name, email: data.billing_email },
        },
      });
      if (setup.error) {
        fail(messages.account_refused);
        return null;
      }
    } else {
      setup = await stripe.confirmCardSetup(data.client_secret, {
        payment_method: { card: card, billing_details: { name: data.billing_name } },
      });
      if (setup.error) {
        // Stripe's own text is English; the donor reads ours.
        const failedAuth =
          setup.error.code === "setup_intent_authentication_failure" ||
          /authenticat/i.test(setup.error.message || "");
        fail(failedAuth ? messages.authentication_failed : messages.card_refused);
        return null;
      }
    }
    return { data: data, setupIntentId: setup.setupIntent.id };
  }

  async function donate() {
    const gift = pending || (await startGift());
    if (!gift) return;
    pending = gift;

    let result;
    try {
      result = await postJSON(gift.data.pay_url, { setup_intent: gift.setupIntentId });
    } catch (error) {
      return fail(messages.unconfirmed);
    }
    if (result.status >= 500) return fail(result.data.error || messages.unconfirmed);
    if (result.data.status === "requires_action") {
      const action = await stripe.confirmCardPayment(result.data.client_secret);
      if (action && action.error) {
        pending = null;
        return fail(messages.authentication_failed);
      }
      result = await postJSON(gift.data.confirm_url, {});
    }
    if (result.data.status === "paid" || result.data.status === "processing") {
      window.location.assign(result.data.thanks_url);
      return;
    }
    pending = null;
    fail(result.data.error);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearErrors();
    submit.disabled = true;
    submit.setAttribute("aria-busy", "true");
    formStatus.textContent = messages.working;
    donate().catch(function () {
      fail(messages.network);
    });
  });
})();
