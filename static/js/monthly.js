// Monthly gift pages: a new card or IBAN (SetupIntent confirmed here, then
// used by our server from the next payment), and the 3-D Secure step of a
// month's payment that the bank wanted the donor to confirm.
(function () {
  "use strict";

  const messagesNode = document.getElementById("monthly-messages");
  if (!messagesNode) return;
  const messages = JSON.parse(messagesNode.textContent);

  async function postJSON(form, url, body) {
    const response = await fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
      },
      body: JSON.stringify(body || {}),
      credentials: "same-origin",
    });
    return { status: response.status, data: await response.json() };
  }

  const cardForm = document.getElementById("card-change");
  if (cardForm) {
    const stripe = Stripe(cardForm.dataset.stripeKey);
    const sepa = cardForm.dataset.method === "sepa";
    let card = null;
    if (!sepa) {
      card = stripe.elements().create("card");
      card.mount("#card-element");
    }
    const status = document.getElementById("card-status");
    const message = document.getElementById("card-message");
    const button = cardForm.querySelector("button");

    async function change() {
      const start = await postJSON(
        cardForm,
        cardForm.dataset.startUrl,
        sepa
          ? {
              iban: cardForm.querySelector("[name=iban]").value,
              mandate_accepted: cardForm.querySelector("[name=mandate_accepted]").checked,
            }
          : {},
      );
      if (start.status !== 200) throw new Error(start.data.error || messages.failed);
      const details = { name: start.data.billing_name, email: start.data.billing_email };
      const result = sepa
        ? await stripe.confirmSepaDebitSetup(start.data.client_secret, {
            payment_method: {
              sepa_debit: { iban: cardForm.querySelector("[name=iban]").value.replace(/\s/g, "") },
              billing_details: details,
            },
          })
        : await stripe.confirmCardSetup(start.data.client_secret, {
            payment_method: { card: card, billing_details: { name: details.name } },
          });
      if (result.error) throw new Error(messages.card_refused);
      const finish = await postJSON(cardForm, cardForm.dataset.finishUrl, {
        setup_intent: result.setupIntent.id,
      });
      if (finish.status !== 200) throw new Error(finish.data.error || messages.failed);
      window.location.reload();
    }

    cardForm.addEventListener("submit", function (event) {
      event.preventDefault();
      message.textContent = "";
      status.textContent = messages.working;
      button.disabled = true;
      change().catch(function (error) {
        status.textContent = "";
        message.textContent = error.message || messages.failed;
        button.disabled = false;
      });
    });
  }

  const authForm = document.getElementById("authenticate-form");
  if (authForm) {
    const stripe = Stripe(authForm.dataset.stripeKey);
    const status = document.getElementById("auth-status");
    const message = document.getElementById("auth-message");
    const button = document.getElementById("authenticate-button");

    authForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      button.disabled = true;
      message.textContent = "";
      status.textContent = messages.working;
      try {
        const action = await stripe.confirmCardPayment(authForm.dataset.clientSecret);
        const result = await postJSON(authForm, authForm.dataset.confirmUrl);
        if (action && !action.error && result.data.status === "paid") {
          status.textContent = messages.paid;
          button.hidden = true;
          return;
        }
        throw new Error(messages.failed);
      } catch (error) {
        status.textContent = "";
        message.textContent = messages.failed;
        button.disabled = false;
      }
    });
  }
})();
